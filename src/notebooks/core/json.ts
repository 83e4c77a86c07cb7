/** JSON values with the Python semantics nbdime compares them by. */
import type { JsonObject, JsonValue } from './model.js'
import { compareCodePoints } from './text.js'

/**
 * The Python class a dict had after nbformat read it. nbdime's `diff_dicts` only recurses into a
 * key when `type(a) is type(b)`, so a v3-upgraded notebook's `metadata` (nbformat.v3 NotebookNode)
 * against a v4 one (nbformat.notebooknode.NotebookNode) is a `replace`. Unmarked dicts are v4.
 */
export type DictFlavor = 'v4' | 'v3' | 'plain'
const flavors = new WeakMap<object, DictFlavor>()

export function setFlavor(obj: object, flavor: DictFlavor): void {
  if (flavor === 'v4') flavors.delete(obj)
  else flavors.set(obj, flavor)
}

export function flavorOf(obj: object): DictFlavor {
  return flavors.get(obj) ?? 'v4'
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Python `type(a) is type(b)` for the containers nbdime recurses into. */
export function sameContainerType(a: JsonValue, b: JsonValue): boolean {
  if (typeof a === 'string') return typeof b === 'string'
  if (Array.isArray(a)) return Array.isArray(b)
  if (isObject(a)) return isObject(b) && flavorOf(a) === flavorOf(b)
  return false
}

/** Python `==` on parsed JSON: `True == 1`, dict equality ignores key order. */
export function pyEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined || a === null || b === null) return false
  const ta = typeof a
  const tb = typeof b
  if ((ta === 'number' || ta === 'boolean') && (tb === 'number' || tb === 'boolean')) {
    return Number(a) === Number(b)
  }
  if (ta === 'string' || tb === 'string') return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!pyEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b) || !isObject(a) || !isObject(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !pyEqual(a[k], b[k])) return false
  }
  return true
}

/** A string equal for exactly the values that are Python-`==` (for hashing). */
export function canonical(v: JsonValue): string {
  if (v === null) return 'null'
  if (typeof v === 'boolean') return v ? '1' : '0'
  if (typeof v === 'number') return String(v)
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  const keys = Object.keys(v).sort(compareCodePoints)
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k] as JsonValue)}`).join(',')}}`
}

/**
 * A 53-bit hash of a string (two 32-bit FNV-1a variants): a token for equality where keeping
 * every key string alive would cost as much memory as the notebooks themselves. Equal strings
 * always hash equal; callers verify matches where a collision would matter.
 */
export function hash53(s: string): number {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ s.length
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    h2 ^= h2 >>> 15
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff)
}

/** Interns values (by `canonical`) as small integers, for hashing-based equality levels. */
export class Interner {
  private readonly ids = new Map<string, number>()
  idOf(key: string): number {
    let id = this.ids.get(key)
    if (id === undefined) {
      id = this.ids.size
      this.ids.set(key, id)
    }
    return id
  }
  valueId(v: JsonValue): number {
    return this.idOf(typeof v === 'string' ? v : '\u0000' + canonical(v))
  }
}
