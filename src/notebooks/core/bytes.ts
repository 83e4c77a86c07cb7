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
 */

// ignoreBOM: a U+FEFF that starts a run is a character of the file, not a byte-order mark to drop.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

/** The file's text as `Buffer#toString('utf8')` reads it (a leading byte-order mark kept). */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes)
}

/**
 * ASCII-only JSON text with the same parse as the decoded file (its byte-order mark left out), or
 * null where escaping could change the meaning: a non-ASCII character right after a backslash is
 * an invalid escape that `\u` would turn into a valid one. Invalid JSON stays invalid, but its
 * error positions are the escaped text's: callers parse the decoded text again for the message.
 */
export function asciiJsonText(bytes: Uint8Array): string | null {
  const n = bytes.length
  const start = n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  // A plain Uint8Array (a Buffer's element reads are slower), and the same bytes four at a time.
  const b = new Uint8Array(bytes.buffer, bytes.byteOffset, n)
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
  let i = nextNonAscii(start)
  if (i === n) return utf8.decode(b.subarray(start))
  const parts: string[] = []
  let from = start
  while (i < n) {
    if (b[i - 1] === 0x5c) return null
    let e = i + 1
    while (e < n && (b[e] as number) >= 0x80) e++
    parts.push(utf8.decode(b.subarray(from, i)), escapeNonAscii(utf8.decode(b.subarray(i, e))))
    from = e
    i = nextNonAscii(e)
  }
  parts.push(utf8.decode(b.subarray(from)))
  return parts.join('')
}

function escapeNonAscii(s: string): string {
  let out = ''
  for (let k = 0; k < s.length; k++) out += `\\u${s.charCodeAt(k).toString(16).padStart(4, '0')}`
  return out
}
