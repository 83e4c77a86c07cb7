// Constant-time comparisons of secrets (webhook signatures and tokens, API bearer tokens, signed
// links): the time taken never tells how much of a guess was right.
import { createHash, timingSafeEqual } from 'node:crypto'

/** Equal bytes, in time that depends on the length only (timingSafeEqual throws on a length mismatch). */
export function equalConstantTime(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/** A token sent in clear against known ones: digests are compared, so lengths leak nothing. Answers per token. */
export function matchToken(given: string, tokens: readonly string[]): boolean[] {
  const g = createHash('sha256').update(given).digest()
  return tokens.map((token) => timingSafeEqual(g, createHash('sha256').update(token).digest()))
}

export function tokenMatches(given: string, tokens: readonly string[]): boolean {
  return matchToken(given, tokens).some(Boolean)
}
