// The mask of secrets: every configured secret value, and the token shapes defined in
// ./secret-fields.ts. One mask built from it is used by the logger, the stored headers of a
// delivery, notices, API responses and the Jenkins parameters Tamer sends. Neutral: imports
// nothing but the config type and ./secret-fields.ts, so every layer may import it.
import type { Config } from '../config/schema.js'
import { SHAPE_HINT, TOKEN_PATTERNS } from './secret-fields.js'

export const MASK = '****'

/** Shorter values are not masked: they would blank out ordinary words. */
const MIN_LENGTH = 4

/** Values besides the config's, known to this process only (the master key). */
const processSecrets = new Set<string>()

/** Adds a value that is secret but not in the config (e.g. TAMER_MASTER_KEY) to every mask made after. */
export function registerSecret(value: string): void {
  if (value.length >= MIN_LENGTH) processSecrets.add(value)
}

/** The secret parts of a URL that is a credential as a whole (chat webhooks, SMTP). */
function urlParts(raw: string): string[] {
  const out = [raw]
  try {
    const u = new URL(raw)
    if (u.password) out.push(u.password, decodeURIComponent(u.password))
    if (u.username && !u.password) out.push(u.username, decodeURIComponent(u.username))
    // Slack's and Mattermost's secret is in the path, Teams' (Power Automate) the `sig` parameter,
    // Google Chat's `key` and `token`: long path segments and parameter values are masked alone too.
    if (u.pathname.length >= 20) out.push(u.pathname)
    for (const seg of u.pathname.split('/')) if (seg.length >= 16) out.push(seg, decodeURIComponent(seg))
    for (const v of u.searchParams.values()) if (v.length >= 8) out.push(v)
  } catch {
    // not a URL: the whole value is masked
  }
  return out
}

/**
 * Every secret value the config holds: webhook secrets and tokens of every host (per-repository
 * ones too), GitLab signing tokens (with and without `whsec_`), API tokens, the Jenkins token and
 * callback secret, the link secret, the console's OIDC client secret, git credentials, SMTP passwords
 * and URLs, chat webhook URLs and secrets, `reporting.hosts` tokens and GitHub App keys, and
 * `notifications.maskValues`.
 */
export function secretValues(c: Config): string[] {
  const out: string[] = [...c.notifications.maskValues]
  const p = c.providers
  const signing = [...p.gitlab.signingTokens, ...p.gitlab.repositories.flatMap((r) => r.signingTokens)]
  out.push(...p.github.secrets, ...p.bitbucket.secrets, ...p.gitlab.tokens)
  for (const r of [...p.github.repositories, ...p.bitbucket.repositories]) out.push(...r.secrets)
  for (const r of p.gitlab.repositories) out.push(...r.tokens)
  for (const s of signing) out.push(s, s.replace(/^whsec_/, ''))
  for (const t of c.api.tokens) out.push(typeof t === 'string' ? t : t.token)
  out.push(c.jenkins.token, c.jenkins.callbackSecret, c.links.secret, c.console.sessionSecret, c.prometheus.token)
  out.push(c.console.oidc.clientSecret)
  for (const g of c.git.credentials) out.push(g.password)
  out.push(c.notifications.smtp.password)
  for (const h of c.reporting.hosts) out.push(h.token ?? '', h.app?.privateKey ?? '')
  if (c.notifications.smtp.url) out.push(...urlParts(c.notifications.smtp.url).slice(1))
  if (c.store.url) out.push(...urlParts(c.store.url).slice(1))
  for (const ch of c.notifications.channels) out.push(...urlParts(ch.url), ch.secret)
  out.push(...processSecrets)
  return [...new Set(out)].filter((s) => s.length >= MIN_LENGTH)
}

/** How a value can appear in text: as is, percent-encoded (in a URL) and JSON-escaped (in a log line). */
function spellings(v: string): string[] {
  return [v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1)]
}

/**
 * Masks every given value (longest first, so a secret containing another is masked whole, in
 * each of its spellings) and every known token shape.
 */
export function maskSecrets(text: string, values: readonly string[]): string {
  return createMask(values)(text)
}

export interface Mask {
  (text: string): string
  /** False when the mask would leave this text as it is (a quick look, no replacing). */
  mayChange(text: string): boolean
}

/** A mask over these values, prepared once for many texts. */
export function createMask(values: readonly string[]): Mask {
  const all = [...new Set(values.filter((v) => v.length >= MIN_LENGTH).flatMap(spellings))].sort(
    (a, b) => b.length - a.length,
  )
  // One alternation, longest first (the first alternative that matches at a position wins), so a
  // secret containing another is masked whole; a regex looks for all of them in one pass.
  const source = all.map((v) => v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')
  const anyValue = all.length ? new RegExp(source) : null
  const everyValue = all.length ? new RegExp(source, 'g') : null
  const mayChange = (text: string) => SHAPE_HINT.test(text) || (anyValue !== null && anyValue.test(text))
  const mask = (text: string) => {
    if (!mayChange(text)) return text
    let out = everyValue ? text.replace(everyValue, MASK) : text
    for (const re of TOKEN_PATTERNS)
      out = out.replace(re, (match: string, prefix?: unknown) =>
        typeof prefix === 'string' && match.startsWith(prefix) ? prefix + MASK : MASK,
      )
    return out
  }
  return Object.assign(mask, { mayChange })
}

/** The mask of everything the config (and this process) holds secret. */
export function maskOf(c: Config): Mask {
  return createMask(secretValues(c))
}

/** Every string inside a JSON-like value, masked (parameters, callback reports). */
export function maskDeep<T>(value: T, mask: (text: string) => string): T {
  if (typeof value === 'string') return mask(value) as T
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask)) as T
  if (value && typeof value === 'object') {
    // A loop, not Object.fromEntries(Object.entries(…).map(…)): its arrays were half the cost of masking a
    // build's parameters, which every plan does (issue #12). Keys are defined as fromEntries defines them, so a
    // `__proto__` key stays a key and never sets the copy's prototype.
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value)) {
      const v = maskDeep((value as Record<string, unknown>)[k], mask)
      if (k === '__proto__')
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
      else out[k] = v
    }
    return out as T
  }
  return value
}
