// Exponential backoff for durable work that failed (a Jenkins call, a notice): the delay doubles
// with each attempt, from `retryBaseMs` after the first, and never exceeds `retryMaxMs`.
export interface Backoff {
  retryBaseMs: number
  retryMaxMs: number
}

/** The wait before the next try, after `attempts` tries (1 for the first failure). */
export function backoffMs(d: Backoff, attempts: number): number {
  return Math.min(d.retryMaxMs, d.retryBaseMs * 2 ** Math.max(0, attempts - 1))
}
