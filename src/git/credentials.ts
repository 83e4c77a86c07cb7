// HTTPS credentials for the mirrors: which one a clone URL gets, and the git environment that
// sends it. Pure: no I/O. What a credential's URL prefix may be is a rule of the config value
// (src/config/credential-url.ts), shared by the loader, the git checks and `tamer secrets set`.

export interface GitCredential {
  /** An http(s) URL prefix, e.g. `https://github.com/acme/`. */
  url: string
  username: string
  password: string
  /**
   * Only for these tenants' repositories (`*`: every tenant's); absent: every tenant's, allowed by config only when
   * there are no tenants.
   */
  tenants?: readonly string[]
}

const HTTP_URL = /^https?:\/\//i

/** The URL without `user:password@` when it is http(s); ssh URLs keep their user (`git@…` is not a secret). */
export function withoutUserinfo(url: string): string {
  return HTTP_URL.test(url) ? url.replace(/^(https?:\/\/)[^@/?#]*@/i, '$1') : url
}

interface Parsed {
  origin: string
  path: string
}

/** Scheme, host and port compared case-insensitively (URL lowercases them); the path as written. */
function parse(url: string): Parsed | undefined {
  if (!HTTP_URL.test(url)) return undefined
  try {
    const u = new URL(url)
    return { origin: `${u.protocol}//${u.host}`, path: u.pathname }
  } catch {
    return undefined
  }
}

/** True when `prefix` covers `path` at a segment boundary: `/acme` covers `/acme/x.git`, not `/acme-evil/x.git`. */
function covers(prefix: string, path: string): boolean {
  if (prefix.endsWith('/')) return path.startsWith(prefix)
  return path === prefix || path.startsWith(`${prefix}/`)
}

/**
 * The credential with the longest prefix covering `url` (`…/ds` also covers `…/ds.git`), among
 * those `tenant` may use: a tenant's own entries and shared ones (`*` or no tenants); without a tenant, shared ones.
 */
export function credentialFor(
  url: string,
  credentials: readonly GitCredential[],
  tenant?: string,
): GitCredential | undefined {
  const target = parse(withoutUserinfo(url))
  if (!target) return undefined
  const paths = target.path.endsWith('.git') ? [target.path, target.path.slice(0, -4)] : [target.path]
  let best: { credential: GitCredential; length: number } | undefined
  for (const credential of credentials) {
    if (
      credential.tenants &&
      !credential.tenants.includes('*') &&
      (tenant === undefined || !credential.tenants.includes(tenant))
    )
      continue
    const prefix = parse(credential.url)
    if (!prefix || prefix.origin !== target.origin) continue
    if (!paths.some((p) => covers(prefix.path, p))) continue
    if (!best || prefix.path.length > best.length) best = { credential, length: prefix.path.length }
  }
  return best?.credential
}

/** The value of the Authorization header, for scrubbing as well as sending. */
export function basicAuthorization(credential: GitCredential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`
}

/**
 * Git config (GIT_CONFIG_COUNT/KEY/VALUE, git ≥ 2.31) that sends `credential` to `url` only.
 * Env, not `-c` or the mirror's config: argv is world-readable in `ps`, /proc/<pid>/environ only
 * to our own user, and nothing lands on disk. Redirects are refused because git re-bases every
 * later request on a redirect's target and would send this header there (git-config
 * http.followRedirects); curl itself drops Authorization on cross-host redirects.
 */
export function credentialGitConfig(url: string, credential: GitCredential): Record<string, string> {
  return gitConfigEnv(credentialConfigEntries(url, credential))
}

/** The config entries of credentialGitConfig, for combining with others. */
export function credentialConfigEntries(url: string, credential: GitCredential): [string, string][] {
  return [
    [`http.${url}.extraHeader`, `Authorization: ${basicAuthorization(credential)}`],
    [`http.${url}.followRedirects`, 'false'],
  ]
}

/** Config entries as GIT_CONFIG_COUNT/KEY_n/VALUE_n variables. */
export function gitConfigEnv(entries: readonly (readonly [string, string])[]): Record<string, string> {
  if (entries.length === 0) return {}
  return {
    GIT_CONFIG_COUNT: String(entries.length),
    ...Object.fromEntries(
      entries.flatMap(([key, value], n) => [
        [`GIT_CONFIG_KEY_${n}`, key],
        [`GIT_CONFIG_VALUE_${n}`, value],
      ]),
    ),
  }
}
