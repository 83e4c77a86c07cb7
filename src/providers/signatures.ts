// Signature and token checks shared by the hosts. All comparisons are constant-time.
import { createHash, createHmac } from 'node:crypto'
import picomatch from 'picomatch'
import { MalformedBodyError } from '../errors.js'
import { equalConstantTime } from '../security/compare.js'

const HUB_ALGORITHMS = new Set(['sha1', 'sha256', 'sha384', 'sha512'])

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * `X-Hub-Signature: <alg>=<hex>` as Bitbucket Cloud and Server send it. The algorithm is
 * read from the prefix (Bitbucket Server lets admins pick it), not assumed. Answers, per
 * secret, whether it signed these exact bytes.
 */
export function matchHubSignature(raw: Buffer, headerValue: string, secrets: readonly string[]): boolean[] {
  const eq = headerValue.indexOf('=')
  if (eq < 0) return secrets.map(() => false)
  const algorithm = headerValue.slice(0, eq).toLowerCase()
  const hex = headerValue
    .slice(eq + 1)
    .trim()
    .toLowerCase()
  if (!HUB_ALGORITHMS.has(algorithm) || !/^[0-9a-f]+$/.test(hex)) return secrets.map(() => false)
  const given = Buffer.from(hex, 'hex')
  // Every secret is checked, so the time taken does not say which one matched.
  return secrets.map((secret) => equalConstantTime(createHmac(algorithm, secret).update(raw).digest(), given))
}

/**
 * Standard Webhooks (GitLab signing tokens): HMAC-SHA256 with the base64 key after `whsec_`
 * over `id.timestamp.body`; the header may hold several space-separated `v1,<base64>` entries.
 * Answers, per signing token, whether it signed the delivery.
 */
export function matchStandardWebhook(
  raw: Buffer,
  parts: { id: string; timestamp: string; signature: string },
  signingTokens: readonly string[],
  now: Date,
  toleranceSeconds: number,
): { ok: true; matched: boolean[] } | { ok: false; reason: string } {
  if (!/^\d+$/.test(parts.timestamp)) return { ok: false, reason: 'webhook-timestamp is not a number' }
  const skew = Math.abs(now.getTime() / 1000 - Number(parts.timestamp))
  if (skew > toleranceSeconds) return { ok: false, reason: 'webhook-timestamp is outside the allowed window' }
  const signed = Buffer.concat([Buffer.from(`${parts.id}.${parts.timestamp}.`), raw])
  const given = parts.signature
    .split(' ')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'))
  const matched = signingTokens.map((token) => {
    const key = Buffer.from(token.startsWith('whsec_') ? token.slice(6) : token, 'base64')
    const expected = createHmac('sha256', key).update(signed).digest()
    let ok = false
    for (const g of given) if (equalConstantTime(expected, g)) ok = true
    return ok
  })
  return matched.some(Boolean) ? { ok: true, matched } : { ok: false, reason: 'webhook-signature does not match' }
}

export interface RepositoryScoped {
  match: string
}

/** Where a secret is configured: provider-wide, or the index of its `repositories` entry. */
export type SecretScope = 'global' | number

/** Every configured secret of one kind, each with its scope, so one check covers them all. */
export function keyring<E>(
  globals: readonly string[],
  entries: readonly E[],
  secretsOf: (entry: E) => readonly string[],
) {
  return [
    ...globals.map((value) => ({ value, scope: 'global' as SecretScope })),
    ...entries.flatMap((e, i) => secretsOf(e).map((value) => ({ value, scope: i as SecretScope }))),
  ]
}

/** The scopes of the secrets that matched (`matched[i]` for `ring[i]`). */
export function scopesOf(ring: readonly { scope: SecretScope }[], matched: readonly boolean[]): Set<SecretScope> {
  return new Set(ring.filter((_, i) => matched[i]).map((k) => k.scope))
}

/**
 * Whether a delivery signed with secrets of `signedBy` may speak for `repository`: a repository
 * matched by `repositories` entries accepts only their secrets, any other only the provider-wide
 * ones, so one tenant's secret cannot sign another tenant's deliveries.
 */
export function scopeAllows<E extends RepositoryScoped>(
  entries: readonly E[],
  signedBy: ReadonlySet<SecretScope>,
  repository: string | null,
): boolean {
  const own =
    repository === null
      ? []
      : entries.flatMap((e, i) => (picomatch.isMatch(repository, e.match, { nocase: true, dot: true }) ? [i] : []))
  return own.length > 0 ? own.some((i) => signedBy.has(i)) : signedBy.has('global')
}

export function decodeJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw new MalformedBodyError('the body is empty')
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch (err) {
    throw new MalformedBodyError((err as Error).message.slice(0, 200))
  }
}
