// Signature and token checks shared by the hosts. All comparisons are constant-time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import picomatch from 'picomatch'
import { MalformedBodyError } from '../errors.js'

const HUB_ALGORITHMS = new Set(['sha1', 'sha256', 'sha384', 'sha512'])

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

function equalConstantTime(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * `X-Hub-Signature: <alg>=<hex>` as Bitbucket Cloud and Server send it. The algorithm is
 * read from the prefix (Bitbucket Server lets admins pick it), not assumed.
 */
export function verifyHubSignature(raw: Buffer, headerValue: string, secrets: readonly string[]): boolean {
  const eq = headerValue.indexOf('=')
  if (eq < 0) return false
  const algorithm = headerValue.slice(0, eq).toLowerCase()
  const hex = headerValue.slice(eq + 1).trim().toLowerCase()
  if (!HUB_ALGORITHMS.has(algorithm) || !/^[0-9a-f]+$/.test(hex)) return false
  const given = Buffer.from(hex, 'hex')
  let ok = false
  // Check every secret so the time taken does not say which one matched.
  for (const secret of secrets) {
    const expected = createHmac(algorithm, secret).update(raw).digest()
    if (equalConstantTime(expected, given)) ok = true
  }
  return ok
}

/** GitLab's `X-Gitlab-Token` is a shared token sent in clear; compare digests so lengths leak nothing. */
export function tokenMatches(given: string, tokens: readonly string[]): boolean {
  const g = createHash('sha256').update(given).digest()
  let ok = false
  for (const token of tokens) if (timingSafeEqual(g, createHash('sha256').update(token).digest())) ok = true
  return ok
}

/**
 * Standard Webhooks (GitLab signing tokens): HMAC-SHA256 with the base64 key after `whsec_`
 * over `id.timestamp.body`; the header may hold several space-separated `v1,<base64>` entries.
 */
export function verifyStandardWebhook(
  raw: Buffer,
  parts: { id: string; timestamp: string; signature: string },
  signingTokens: readonly string[],
  now: Date,
  toleranceSeconds: number,
): { ok: true } | { ok: false; reason: string } {
  if (!/^\d+$/.test(parts.timestamp)) return { ok: false, reason: 'webhook-timestamp is not a number' }
  const skew = Math.abs(now.getTime() / 1000 - Number(parts.timestamp))
  if (skew > toleranceSeconds) return { ok: false, reason: 'webhook-timestamp is outside the allowed window' }
  const signed = Buffer.concat([Buffer.from(`${parts.id}.${parts.timestamp}.`), raw])
  const given = parts.signature
    .split(' ')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'))
  let ok = false
  for (const token of signingTokens) {
    const key = Buffer.from(token.startsWith('whsec_') ? token.slice(6) : token, 'base64')
    const expected = createHmac('sha256', key).update(signed).digest()
    for (const g of given) if (equalConstantTime(expected, g)) ok = true
  }
  return ok ? { ok: true } : { ok: false, reason: 'webhook-signature does not match' }
}

export interface RepositoryScoped {
  match: string
}

/**
 * Secrets for one repository: those of the repository entries whose glob matches, else the
 * provider-wide ones. A repository with its own secret does not also accept the shared one,
 * so one tenant's secret cannot sign another tenant's deliveries.
 */
export function selectScoped<T extends RepositoryScoped>(entries: readonly T[], repository: string | null): T[] {
  if (!repository) return []
  return entries.filter((e) => picomatch.isMatch(repository, e.match, { nocase: true, dot: true }))
}

export function decodeJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw new MalformedBodyError('the body is empty')
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch (err) {
    throw new MalformedBodyError((err as Error).message.slice(0, 200))
  }
}
