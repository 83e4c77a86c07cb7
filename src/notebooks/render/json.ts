/**
 * `JSON.stringify(value, null, 2)` written in chunks instead of returned as one string: `tamer diff
 * --format json` of a 7.2 MB pair printed a 3.6 MB string, and writing it made a copy of the same
 * size (the `\n` appended, then the bytes for the pipe), all while the notebooks were still held
 * (issue #12: peak memory). Each chunk is about `chunkChars` long; the concatenation is exactly the
 * text of `JSON.stringify(value, null, 2)` (ECMA-262 SerializeJSONProperty: toJSON, undefined,
 * functions and symbols left out of objects and written `null` in arrays; `[]` and `{}` when empty),
 * so nbdime's JSON stays byte for byte what it was (test/notebooks/render/json.test.ts).
 */
export function writePrettyJson(value: unknown, write: (chunk: string) => void, chunkChars = 1 << 16): void {
  let parts: string[] = []
  let size = 0
  const put = (s: string) => {
    parts.push(s)
    size += s.length
    if (size >= chunkChars) {
      write(parts.join(''))
      parts = []
      size = 0
    }
  }
  const text = serialize('', { '': value }, '', put)
  // A top-level value JSON.stringify gives no text for (undefined, a function): nothing to write.
  if (text !== undefined) put(text)
  if (size > 0) write(parts.join(''))
}

/**
 * One property: its text is returned when short (a primitive), or written through `put` (a
 * container) and '' returned. undefined: the property has no text (left out of an object).
 */
function serialize(
  key: string,
  holder: Record<string, unknown>,
  indent: string,
  put: (s: string) => void,
): string | undefined {
  let value = holder[key]
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    value = (value as { toJSON: (k: string) => unknown }).toJSON(key)
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) as string | undefined
  // Boxed primitives (new String('x')) are written as their primitive, as JSON.stringify does.
  if (value instanceof String || value instanceof Number || value instanceof Boolean)
    return JSON.stringify(value) as string
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    const items = value as unknown[]
    for (let i = 0; i < items.length; i++) {
      put(i === 0 ? `[\n${inner}` : `,\n${inner}`)
      const t = serialize(String(i), items as unknown as Record<string, unknown>, inner, put)
      put(t ?? 'null')
    }
    put(`\n${indent}]`)
    return ''
  }
  const obj = value as Record<string, unknown>
  let first = true
  for (const k of Object.keys(obj)) {
    const v = obj[k]
    // Left out without a text: checked before writing the key (toJSON may still give one).
    const hasToJson = typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function'
    if (!hasToJson && (v === undefined || typeof v === 'function' || typeof v === 'symbol')) continue
    if (hasToJson) {
      const probe = JSON.stringify((v as { toJSON: (k: string) => unknown }).toJSON(k))
      if (probe === undefined) continue
    }
    put(first ? `{\n${inner}${JSON.stringify(k)}: ` : `,\n${inner}${JSON.stringify(k)}: `)
    first = false
    put(serialize(k, obj, inner, put) as string)
  }
  if (first) return '{}'
  put(`\n${indent}}`)
  return ''
}
