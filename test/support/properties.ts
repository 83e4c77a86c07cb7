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

const catalogue = (Object.values(errors) as unknown[]).filter(
  (e): e is new (...a: never[]) => Error => typeof e === 'function',
)

/** An error from src/errors.ts with a TAMER_* code and a 4xx status: what bad input may end in. */
export function isCleanRefusal(err: unknown): boolean {
  if (!(err instanceof Error) || !catalogue.some((E) => err instanceof E)) return false
  const { code, statusCode } = err as Error & { code?: unknown; statusCode?: unknown }
  return (
    typeof code === 'string' &&
    code.startsWith('TAMER_') &&
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500
  )
}

/** Rethrows anything that is not a clean refusal, so fast-check reports (and shrinks) it. */
export function refusedCleanly(err: unknown): void {
  if (!isCleanRefusal(err)) throw err
}

/** Printable ASCII: what an HTTP header value can carry through app.inject. */
export const headerText = (maxLength = 80) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength })

/** Object keys JavaScript treats specially: a lookup table indexed by one must not find a method. */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'prototype',
]

/** Every object key in `value`, so generated objects use the keys real inputs use. */
export function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysOf(v, into)
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      into.add(k)
      keysOf(v, into)
    }
  return into
}

type Path = (string | number)[]
function pathsOf(value: unknown, at: Path = [], into: Path[] = []): Path[] {
  into.push(at)
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], into))
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], into)
  return into
}

/**
 * One change to a JSON value at the `at`-th of its paths: `edit` keeps the value's type (text typed
 * into a string, a number changed), as a real edit does; `delete`; `set` to `value`; `swap` in a copy
 * of the `other`-th path's value.
 */
export type Mutation = { at: number; op: 'edit' | 'delete' | 'set' | 'swap'; value: unknown; other: number }

/** A copy of `value` with `mutations` applied in order (the original is not touched). */
export function mutate(value: unknown, mutations: readonly Mutation[]): unknown {
  const root = { v: structuredClone(value) }
  for (const m of mutations) {
    const paths = pathsOf(root.v).map((p) => ['v', ...p])
    const path = paths[m.at % paths.length]!
    const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], root)
    const key = path[path.length - 1]!
    const old = parent[key] as unknown
    if (m.op === 'edit' && typeof old === 'string') {
      const at = m.other % (old.length + 1)
      parent[key] =
        old.slice(0, at) + (typeof m.value === 'string' ? m.value : (JSON.stringify(m.value) ?? '')) + old.slice(at)
    } else if (m.op === 'edit' && typeof old === 'number') parent[key] = m.other
    else if (m.op === 'delete' || m.op === 'edit') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1)
      else delete parent[key]
    } else {
      const other = paths[m.other % paths.length]!.reduce<any>((o, k) => o?.[k], root)
      Object.defineProperty(parent, key, {
        value: m.op === 'set' ? m.value : structuredClone(other),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
  }
  return root.v
}
