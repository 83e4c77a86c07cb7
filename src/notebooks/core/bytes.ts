/**
 * Notebook files as UTF-8 bytes → JSON text that V8 keeps one byte per character.
 *
 * A JS string with any character over U+00FF is stored two bytes per character (V8's one-byte and
 * two-byte representations), so a 3.7 MB notebook with one `≥` in it became 7.4 MB of text before
 * parsing: the largest part of the diff's peak memory (bench:diff, hml2 pairs). Outside JSON
 * strings a file can only hold ASCII, so each run of non-ASCII bytes is written as `\uXXXX`
 * escapes instead, which `JSON.parse` reads back to exactly the same string values: the text stays
 * one-byte and the parsed notebook is the one the decoded text gives. Runs are decoded on their
 * own: the WHATWG UTF-8 decoder (TextDecoder, Buffer#toString) ends an incomplete sequence at the
 * next ASCII byte (https://encoding.spec.whatwg.org/#utf-8-decoder), so run by run gives the same
 * characters, U+FFFD for bad bytes included, as the whole file at once.
 *
 * The escaped text is written into one buffer and decoded once (not pieces joined: that held the
 * file about three times over), and the caller's bytes can be let go before the text is parsed:
 * the file's own text, which invented ids and error messages need, is rebuilt from it.
 */

// ignoreBOM: a U+FEFF that starts a run is a character of the file, not a byte-order mark to drop.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

export interface JsonText {
  /** What to give JSON.parse: ASCII text when `escaped`, else the decoded file without its byte-order mark. */
  body: string
  /** Whether `body` has escapes in place of the file's non-ASCII characters (its error positions differ). */
  escaped: boolean
  /** The file's text as `Buffer#toString('utf8')` reads it, a byte-order mark kept (ids are invented from it). */
  source: () => string
}

/**
 * Frees bytes that own their whole buffer at once (not a slice of Node's shared pool, whose
 * neighbours belong to others): `ArrayBuffer#transfer(0)` (ES2024, Node 22+) detaches it, so even a
 * caller still holding the view no longer holds the memory.
 */
export function releaseBytes(x: Uint8Array): void {
  if (x.byteOffset !== 0 || x.byteLength !== x.buffer.byteLength) return
  const buffer = x.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }
  if (buffer instanceof ArrayBuffer && typeof buffer.transfer === 'function') buffer.transfer(0)
}

/**
 * The JSON text of a notebook file's bytes (see above). With `consume`, the bytes are released
 * (releaseBytes) as soon as the text is made, before it is parsed.
 */
export function jsonText(bytes: Uint8Array, consume = false): JsonText {
  const n = bytes.length
  const bom = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
  const start = bom ? 3 : 0
  const b = new Uint8Array(bytes.buffer, bytes.byteOffset, n)
  const runs = nonAsciiRuns(b, start)
  const done = () => {
    if (consume) releaseBytes(bytes)
  }
  // A non-ASCII character right after a backslash is an invalid escape that `\u` would make valid.
  if (runs === null) {
    const text = utf8.decode(b)
    done()
    return { body: bom ? text.slice(1) : text, escaped: false, source: () => text }
  }
  if (runs.length === 0) {
    const body = utf8.decode(b.subarray(start))
    done()
    return { body, escaped: false, source: () => (bom ? `\ufeff${body}` : body) }
  }
  // Each run's characters, their escapes, and where the escapes go in the text.
  const chars: string[] = []
  const escapes: string[] = []
  let size = n - start
  for (let r = 0; r < runs.length; r += 2) {
    const s = utf8.decode(b.subarray(runs[r], runs[r + 1]))
    const e = escapeNonAscii(s)
    chars.push(s)
    escapes.push(e)
    size += e.length - ((runs[r + 1] as number) - (runs[r] as number))
  }
  const out = new Uint8Array(size)
  const at: number[] = []
  let from = start
  let pos = 0
  for (let r = 0; r < runs.length; r += 2) {
    const i = runs[r] as number
    out.set(b.subarray(from, i), pos)
    pos += i - from
    at.push(pos)
    const e = escapes[r >> 1] as string
    for (let k = 0; k < e.length; k++) out[pos + k] = e.charCodeAt(k)
    pos += e.length
    from = runs[r + 1] as number
  }
  out.set(b.subarray(from), pos)
  done()
  const body = utf8.decode(out)
  releaseBytes(out)
  const source = () => {
    const parts: string[] = bom ? ['\ufeff'] : []
    let p = 0
    at.forEach((q, k) => {
      parts.push(body.slice(p, q), chars[k] as string)
      p = q + (escapes[k] as string).length
    })
    parts.push(body.slice(p))
    return parts.join('')
  }
  return { body, escaped: true, source }
}

/**
 * Where the non-ASCII bytes are: [start, end) of each run, flat; null when one follows a backslash.
 * A plain Uint8Array (a Buffer's element reads are slower), and the same bytes four at a time.
 */
function nonAsciiRuns(b: Uint8Array, start: number): number[] | null {
  const n = b.length
  const skew = (4 - (b.byteOffset & 3)) & 3
  const count = n > skew ? (n - skew) >>> 2 : 0
  const words = count > 0 ? new Uint32Array(b.buffer, b.byteOffset + skew, count) : new Uint32Array(0)
  const wordsEnd = skew + words.length * 4
  /** The first non-ASCII byte at or after `i`, or n. */
  const nextNonAscii = (i: number): number => {
    while (i < n && (i < skew || i >= wordsEnd || (i - skew) & 3)) {
      if ((b[i] as number) >= 0x80) return i
      i++
    }
    let w = (i - skew) >>> 2
    while (w < words.length && ((words[w] as number) & 0x80808080) === 0) w++
    for (i = Math.max(i, skew + w * 4); i < n; i++) if ((b[i] as number) >= 0x80) return i
    return n
  }
  const runs: number[] = []
  for (let i = nextNonAscii(start); i < n;) {
    if (b[i - 1] === 0x5c) return null
    let e = i + 1
    while (e < n && (b[e] as number) >= 0x80) e++
    runs.push(i, e)
    i = nextNonAscii(e)
  }
  return runs
}

function escapeNonAscii(s: string): string {
  let out = ''
  for (let k = 0; k < s.length; k++) out += `\\u${s.charCodeAt(k).toString(16).padStart(4, '0')}`
  return out
}
