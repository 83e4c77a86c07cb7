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
 * the file's own text, which invented ids and error messages need, is rebuilt from it. Strings of
 * 4 KB or more (images' base64) are parsed from their own bytes and left out of the text
 * (longStrings): the text, garbage once parsed, is then a fraction of an image-heavy file.
 */

import { Buffer, isAscii } from 'node:buffer'

// ignoreBOM: a U+FEFF that starts a run is a character of the file, not a byte-order mark to drop.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

/** Strings at least this long (bytes between the quotes) are taken out of the text (longStrings). */
const LONG = 4096

export interface JsonText {
  /** What to give JSON.parse: ASCII text when `escaped`, else the decoded file without its byte-order mark. */
  body: string
  /** Whether `body` differs from the file's text (escapes, long strings taken out): its error positions differ. */
  escaped: boolean
  /** The file's text as `Buffer#toString('utf8')` reads it, a byte-order mark kept (ids are invented from it). */
  source: () => string
  /** What JSON.parse made of `body`, with the long strings taken out of it put back in place. */
  restore: (parsed: unknown) => unknown
  /** With `consume`: lets the bytes go, if the text has not already (it keeps them while strings are out). */
  release: () => void
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

const same = (parsed: unknown) => parsed
const nothing = () => {}

/**
 * The JSON text of a notebook file's bytes (see above). With `consume`, the bytes are released
 * (releaseBytes) as soon as the text is made, before it is parsed, or by `release` when long
 * strings were taken out (their file text is read from the bytes).
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
    return { body: bom ? text.slice(1) : text, escaped: false, source: () => text, restore: same, release: nothing }
  }
  const long = longStrings(b, start, runs)
  if (runs.length === 0 && long.values.length === 0) {
    const body = utf8.decode(b.subarray(start))
    done()
    return { body, escaped: false, source: () => (bom ? `\ufeff${body}` : body), restore: same, release: nothing }
  }
  // The edits in file order: [from, to, text in the body]; each run's characters too.
  const edits: [number, number, string][] = []
  const chars: string[] = []
  for (let r = 0, p = 0; r < runs.length || p < long.spans.length;) {
    if (p >= long.spans.length || (r < runs.length && (runs[r] as number) < (long.spans[p] as number))) {
      const s = utf8.decode(b.subarray(runs[r], runs[r + 1]))
      chars.push(s)
      edits.push([runs[r] as number, runs[r + 1] as number, escapeNonAscii(s)])
      r += 2
    } else {
      edits.push([long.spans[p] as number, (long.spans[p + 1] as number) + 1, `"\\u0000${p >> 1}"`])
      p += 2
    }
  }
  let size = n - start
  for (const [from, to, text] of edits) size += text.length - (to - from)
  const out = new Uint8Array(size)
  const at: number[] = []
  let from = start
  let pos = 0
  for (const [i, to, text] of edits) {
    out.set(b.subarray(from, i), pos)
    pos += i - from
    at.push(pos)
    for (let k = 0; k < text.length; k++) out[pos + k] = text.charCodeAt(k)
    pos += text.length
    from = to
  }
  out.set(b.subarray(from), pos)
  const body = utf8.decode(out)
  releaseBytes(out)
  if (long.values.length > 0) {
    const values = long.values
    return { body, escaped: true, source: () => utf8.decode(b), restore: (v) => putBack(v, values), release: done }
  }
  done()
  const source = () => {
    const parts: string[] = bom ? ['\ufeff'] : []
    let p = 0
    at.forEach((q, k) => {
      parts.push(body.slice(p, q), chars[k] as string)
      p = q + (edits[k] as [number, number, string])[2].length
    })
    parts.push(body.slice(p))
    return parts.join('')
  }
  return { body, escaped: true, source, restore: same, release: nothing }
}

/**
 * The strings of LONG bytes or more (images' base64, mostly) that can be parsed on their own:
 * [opening quote, closing quote] of each, flat, and their values. A notebook's text is garbage once
 * parsed, but only a full collection frees a large one; with these strings out of it the text is a
 * fraction of the file (spl-lecture4: 0.27 of 1.76 MB) and each value is parsed from its own bytes.
 *
 * Every quote-free span of LONG bytes or more holds one of the points visited, LONG apart, so
 * the JSON is not walked string by string. Such a span is mostly a string, but it can be the text
 * between two (a minified list of numbers, with no control character to make it an invalid
 * string): taken out, it leaves the text invalid (its placeholder then starts with a backslash
 * outside any string), never valid with another meaning, and the file's own text is parsed instead
 * (parse.ts). Keys, strings with non-ASCII and spans that are not a whole string stay in the text.
 */
function longStrings(b: Uint8Array, start: number, runs: number[]): { spans: number[]; values: string[] } {
  const spans: number[] = []
  const values: string[] = []
  const n = b.length
  if (n - start < LONG + 2) return { spans, values }
  const buf = Buffer.from(b.buffer, b.byteOffset, n)
  // Placeholders are strings that start with U+0000, which a file can only write as \u0000.
  if (buf.indexOf('\\u0000', start, 'latin1') >= 0) return { spans, values }
  const scratch: { buf?: Buffer } = {}
  let r = 0
  for (let s = start; s < n;) {
    const q1 = buf.indexOf(0x22, s)
    if (q1 < 0) break
    // The last quote before q1 is the last before s: none between them.
    const q0 = s > start ? buf.lastIndexOf(0x22, s - 1) : -1
    s = Math.max(s + LONG, q1 + 1)
    if (q0 < start || q1 - q0 - 1 < LONG || b[q0 - 1] === 0x5c || b[q1 - 1] === 0x5c) continue
    let k = q1 + 1
    while (b[k] === 0x20 || b[k] === 0x0a || b[k] === 0x0d || b[k] === 0x09) k++
    if (b[k] === 0x3a) continue
    while (r < runs.length && (runs[r + 1] as number) <= q0) r += 2
    if (r < runs.length && (runs[r] as number) < q1) continue
    const value = stringValue(buf, q0, q1, scratch)
    if (value === undefined) continue
    spans.push(q0, q1)
    values.push(value)
  }
  if (scratch.buf) releaseBytes(scratch.buf)
  return { spans, values }
}

/** Up to the first control character or backslash: what a JSON string holds as it is. */
const PLAIN = /[^\x00-\x1f\\]*/y
const plainLength = (s: string) => {
  PLAIN.lastIndex = 0
  PLAIN.test(s)
  return PLAIN.lastIndex
}
/** An escaped tail this short (base64's closing `\n`) is decoded on its own, the rest taken as it is. */
const TAIL = 64
/**
 * V8 allocates what JSON.parse makes from a text of 100 KB or more in its old generation
 * (JsonParser's kPretenureTreshold), and a string of 128 KB or more as a large object, which a
 * scavenge promotes without copying it; a string between the two made from bytes would be young
 * and copied twice by scavenges (hml2-08 holds 8 such images), so those are still parsed.
 */
const PRETENURED = 100 * 1024
const LARGE_OBJECT = 128 * 1024

/**
 * The value of the ASCII JSON string between the quotes at q0 and q1, or undefined if it is not a
 * valid one. JSON.parse over a latin1 copy of it read every character twice and allocated it twice
 * (hml2-08's 66 strings, 7.3 MB: ~10 ms in JSON.parse, ~8 ms of collections; one regular expression
 * over the copy ~5.5 and ~5.5 ms, cold profiles): a string without escapes is its own bytes, and one with
 * only an escaped tail (images' base64 ends with `\n`) its bytes and that tail decoded, written
 * into `scratch` so that the value is one flat string (a joined one is copied again when compared).
 */
function stringValue(buf: Buffer, q0: number, q1: number, scratch: { buf?: Buffer }): string | undefined {
  const from = q0 + 1
  if (q1 - from >= PRETENURED && q1 - from < LARGE_OBJECT) return parsed(buf, q0, q1)
  const head = buf.subarray(from, q1).indexOf(0x5c)
  if (head < 0) {
    const s = buf.toString('latin1', from, q1)
    return plainLength(s) === s.length ? s : undefined
  }
  if (q1 - (from + head) <= TAIL) {
    let tail: string
    try {
      tail = JSON.parse(`"${buf.toString('latin1', from + head, q1)}"`) as string
    } catch {
      return undefined
    }
    if (!/[^\x00-\xff]/.test(tail)) {
      const size = head + tail.length
      if (!scratch.buf || scratch.buf.length < size) {
        if (scratch.buf) releaseBytes(scratch.buf)
        scratch.buf = Buffer.allocUnsafeSlow(size)
      }
      buf.copy(scratch.buf, 0, from, from + head)
      scratch.buf.write(tail, head, 'latin1')
      const s = scratch.buf.toString('latin1', 0, size)
      // The head must hold no control character; the tail's decoded characters may be anything.
      return plainLength(s) >= head ? s : undefined
    }
  }
  return parsed(buf, q0, q1)
}

function parsed(buf: Buffer, q0: number, q1: number): string | undefined {
  try {
    return JSON.parse(buf.toString('latin1', q0, q1 + 1)) as string
  } catch {
    return undefined
  }
}

const isPlaceholder = (x: unknown): x is string => typeof x === 'string' && x.charCodeAt(0) === 0

/** `parsed` with each placeholder string ("\u0000" and its index) replaced by its value. */
function putBack(parsed: unknown, values: string[]): unknown {
  const value = (s: string) => values[Number(s.slice(1))] as string
  if (typeof parsed === 'string') return parsed.charCodeAt(0) === 0 ? value(parsed) : parsed
  let left = values.length
  // First where notebooks keep images, outputs' data (as strings or lists of lines): the whole tree
  // is walked only if placeholders are left elsewhere.
  const asObject = (x: unknown) => (typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : {})
  const cells = asObject(parsed)['cells']
  for (const cell of Array.isArray(cells) ? cells : []) {
    const outputs = asObject(cell)['outputs']
    for (const output of Array.isArray(outputs) ? outputs : []) {
      const data = asObject(asObject(output)['data'])
      for (const key of Object.keys(data)) {
        const x = data[key]
        if (isPlaceholder(x)) {
          data[key] = value(x)
          left--
        } else if (Array.isArray(x)) {
          for (let i = 0; i < x.length; i++) {
            const line: unknown = x[i]
            if (isPlaceholder(line)) {
              x[i] = value(line)
              left--
            }
          }
        }
      }
    }
  }
  const stack: unknown[] = left > 0 ? [parsed] : []
  while (left > 0 && stack.length > 0) {
    const v = stack.pop()
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i]
        if (typeof x === 'string') {
          if (x.charCodeAt(0) === 0) {
            v[i] = value(x)
            left--
          }
        } else if (typeof x === 'object' && x !== null) stack.push(x)
      }
    } else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>
      for (const key of Object.keys(o)) {
        const x = o[key]
        if (typeof x === 'string') {
          if (x.charCodeAt(0) === 0) {
            o[key] = value(x)
            left--
          }
        } else if (typeof x === 'object' && x !== null) stack.push(x)
      }
    }
  }
  return parsed
}

/**
 * Where the non-ASCII bytes are: [start, end) of each run, flat; null when one follows a backslash.
 * ASCII is skipped by `buffer.isAscii` (simdutf) over blocks that double while they pass, and a
 * block that fails is halved down to 64 bytes read one by one: a JS loop over every byte was
 * ~5 ms of a cold 3.3 MB diff (spl-lecture4, 48 non-ASCII bytes a side).
 */
function nonAsciiRuns(b: Uint8Array, start: number): number[] | null {
  const n = b.length
  const ascii = (lo: number, hi: number) => isAscii(b.subarray(lo, hi))
  /** The first non-ASCII byte at or after `i`, or n. */
  const nextNonAscii = (i: number): number => {
    for (let k = 256; i < n; k *= 2) {
      let hi = Math.min(n, i + k)
      if (ascii(i, hi)) {
        i = hi
        continue
      }
      // [i, hi) holds the first one.
      while (hi - i > 64) {
        const mid = (i + hi) >>> 1
        if (ascii(i, mid)) i = mid
        else hi = mid
      }
      while ((b[i] as number) < 0x80) i++
      return i
    }
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
