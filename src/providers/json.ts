// Total accessors for untrusted JSON: they never throw, they answer null.

export type Json = unknown

export function field(value: Json, ...path: (string | number)[]): Json {
  let node = value
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string | number, unknown>)[key]
  }
  return node
}

export function str(value: Json): string | null {
  return typeof value === 'string' ? value : null
}

/** A string field, or null when missing, empty or not a string. */
export function text(value: Json, ...path: (string | number)[]): string | null {
  const v = str(field(value, ...path))
  return v === null || v.length === 0 ? null : v
}

export function num(value: Json, ...path: (string | number)[]): number | null {
  const v = field(value, ...path)
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

export function bool(value: Json, ...path: (string | number)[]): boolean | null {
  const v = field(value, ...path)
  return typeof v === 'boolean' ? v : null
}

export function list(value: Json, ...path: (string | number)[]): Json[] {
  const v = field(value, ...path)
  return Array.isArray(v) ? v : []
}

/**
 * `table[key]` for a key the payload chose: only the table's own entries, so `constructor` or
 * `__proto__` never finds Object.prototype's (found by test/providers/properties.test.ts).
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}

export function isObject(value: Json): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A list of strings, or null when the host did not send one (so "no list" differs from "empty list"). */
export function stringList(value: Json, ...path: (string | number)[]): string[] | null {
  const v = field(value, ...path)
  if (!Array.isArray(v)) return null
  return v.filter((x): x is string => typeof x === 'string')
}

/** Parses a `Name <email>` author string as Bitbucket sends it. */
export function parseRawAuthor(raw: string | null): { name: string | null; email: string | null } {
  if (!raw) return { name: null, email: null }
  const m = /^(.*?)\s*<([^>]*)>\s*$/.exec(raw)
  if (!m) return { name: raw.trim() || null, email: null }
  return { name: m[1]!.trim() || null, email: m[2]!.trim() || null }
}

/** Epoch milliseconds (older Bitbucket Server) or ISO-8601 (Data Center 10+) to ISO-8601. */
export function timestamp(value: Json): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const d = new Date(value)
    return Number.isNaN(d.getTime()) ? null : d.toISOString()
  }
  if (typeof value === 'string' && value.length > 0) return value
  return null
}

/** A ref's neutral fields; `name` overrides the short name (Bitbucket sends it apart). */
export function refFields(ref: string, isTag: boolean, name?: string) {
  const short = name ?? ref.replace(/^refs\/(heads|tags)\//, '')
  return {
    ref,
    refType: isTag ? ('tag' as const) : ('branch' as const),
    branch: isTag ? null : short,
    tag: isTag ? short : null,
  }
}

/**
 * A commit's per-file lists (GitHub, GitLab project hooks). `filesListed` is false when the
 * host sent none (GitLab system hooks), so "no list" differs from "no files".
 */
export function commitFiles(value: Json) {
  const added = stringList(value, 'added')
  const modified = stringList(value, 'modified')
  const removed = stringList(value, 'removed')
  return {
    added: added ?? [],
    modified: modified ?? [],
    removed: removed ?? [],
    filesListed: added !== null && modified !== null && removed !== null,
  }
}
