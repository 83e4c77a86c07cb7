// Shared by the property-based tests: one fixed seed (printed, so a failure reproduces), bounded
// runs, and what counts as a clean refusal. https://fast-check.dev/docs/core-blocks/runners/
import * as fc from 'fast-check'
import * as errors from '../../src/errors.js'

/** TAMER_FC_SEED=<n> replays another seed; TAMER_FC_RUNS=<factor> runs more (or fewer) cases. */
export const SEED = Number(process.env.TAMER_FC_SEED ?? 20260911)
const FACTOR = Number(process.env.TAMER_FC_RUNS ?? 1)

interface Commenter {
  comment(...args: unknown[]): void
}

/** fast-check parameters for one property: the seed, a bounded number of runs, a per-run time limit. */
export function runs(t: Commenter, numRuns: number, timeoutMs = 10_000): fc.Parameters<unknown> {
  const n = Math.max(1, Math.round(numRuns * FACTOR))
  t.comment(`fast-check seed ${SEED}, ${n} runs (TAMER_FC_SEED / TAMER_FC_RUNS to change)`)
  return { seed: SEED, numRuns: n, timeout: timeoutMs }
}

const catalogue = (Object.values(errors) as unknown[]).filter((e): e is new (...a: never[]) => Error => typeof e === 'function')

/** An error from src/errors.ts with a TAMER_* code and a 4xx status: what bad input may end in. */
export function isCleanRefusal(err: unknown): boolean {
  if (!(err instanceof Error) || !catalogue.some((E) => err instanceof E)) return false
  const { code, statusCode } = err as Error & { code?: unknown; statusCode?: unknown }
  return typeof code === 'string' && code.startsWith('TAMER_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500
}

/** Rethrows anything that is not a clean refusal, so fast-check reports (and shrinks) it. */
export function refusedCleanly(err: unknown): void {
  if (!isCleanRefusal(err)) throw err
}

/** Printable ASCII: what an HTTP header value can carry through app.inject. */
export const headerText = (maxLength = 80) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength })

/** Object keys JavaScript treats specially: a lookup table indexed by one must not find a method. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'prototype']
