/**
 * Applying an nbdime diff to its base value (nbdime's `patching.py`), so renderers need only the
 * base notebook and the diff — like nbdime's web UI, which gets `{base, diff}` — whichever engine
 * (native or the real nbdime) produced the diff.
 *
 * Strings are patched line-wise (keys are line numbers, `valuelist` a list of lines); a `patch` of
 * a line carries character ops whose keys count code points, as Python does.
 */
import type { DiffEntry, JsonObject, JsonValue } from '../core/model.js'
import { splitLinesKeepEnds } from '../core/text.js'

const isDict = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

export function applyDiff(base: JsonValue, diff: readonly DiffEntry[]): JsonValue {
  if (typeof base === 'string') return applyLines(base, diff)
  if (Array.isArray(base)) return applySequence(base, diff, (item, d) => applyDiff(item, d))
  if (isDict(base)) return applyDict(base, diff)
  throw new Error(
    `bug: the diff engine made a diff of a ${base === null ? 'null' : typeof base} value, which nbdime's format cannot patch`,
  )
}

function applyDict(base: JsonObject, diff: readonly DiffEntry[]): JsonObject {
  const out: JsonObject = { ...base }
  for (const e of diff) {
    const key = String(e.key)
    if (e.op === 'add' || e.op === 'replace') out[key] = e.value
    else if (e.op === 'remove') delete out[key]
    else if (e.op === 'patch') out[key] = applyDiff(base[key] as JsonValue, e.diff)
    else throw new Error(`bug: the diff engine made op ${e.op}, which nbdime's format does not allow in a dict`)
  }
  return out
}

function applySequence<T>(
  base: readonly T[],
  diff: readonly DiffEntry[],
  patchItem: (item: T, d: DiffEntry[]) => T,
  wrap: (v: JsonValue[] | string) => T[] = (v) => v as T[],
): T[] {
  const out: T[] = []
  let take = 0
  for (const e of diff) {
    const index = Number(e.key)
    out.push(...base.slice(take, index))
    take = index
    if (e.op === 'addrange') out.push(...wrap(e.valuelist))
    else if (e.op === 'removerange') take = index + e.length
    else if (e.op === 'patch') {
      out.push(patchItem(base[index] as T, e.diff))
      take = index + 1
    } else throw new Error(`bug: the diff engine made op ${e.op}, which nbdime's format does not allow in a sequence`)
  }
  out.push(...base.slice(take))
  return out
}

/** Line-level string patch: addrange adds whole lines, a patch edits characters of one line. */
function applyLines(base: string, diff: readonly DiffEntry[]): string {
  const wrap = (v: JsonValue[] | string) => (typeof v === 'string' ? [v] : (v as string[]))
  return applySequence(splitLinesKeepEnds(base), diff, applyChars, wrap).join('')
}

export function applyChars(line: string, diff: readonly DiffEntry[]): string {
  const wrap = (v: JsonValue[] | string) => (typeof v === 'string' ? Array.from(v) : (v as string[]))
  return applySequence(Array.from(line), diff, (c) => c, wrap).join('')
}
