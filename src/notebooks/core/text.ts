/** Python `str` semantics that nbdime's output depends on. */

/** Python's `str.splitlines(True)`: line boundaries include \r, \x0b, \x0c, \x1c-\x1e, \x85, \u2028, \u2029. */
export function splitLinesKeepEnds(s: string): string[] {
  const lines: string[] = []
  let start = 0
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x0d && c < 0x1c) continue
    if (
      c === 0x0a ||
      c === 0x0b ||
      c === 0x0c ||
      c === 0x1c ||
      c === 0x1d ||
      c === 0x1e ||
      c === 0x85 ||
      c === 0x2028 ||
      c === 0x2029
    ) {
      lines.push(s.slice(start, i + 1))
      start = i + 1
    } else if (c === 0x0d) {
      if (i + 1 < n && s.charCodeAt(i + 1) === 0x0a) i++
      lines.push(s.slice(start, i + 1))
      start = i + 1
    }
  }
  if (start < n) lines.push(s.slice(start))
  return lines
}

/** Python's `str.splitlines()` (no line ends). */
export function splitLines(s: string): string[] {
  return splitLinesKeepEnds(s).map((l) => l.replace(/(?:\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029])$/u, ''))
}

const ASCII_ONLY = /^[\x00-\x7f]*$/

/** Code points of `s` (what Python indexes a `str` by). */
export function codePoints(s: string): Int32Array {
  const out = new Int32Array(s.length)
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        out[n++] = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000
        i++
        continue
      }
    }
    out[n++] = c
  }
  return n === s.length ? out : out.slice(0, n)
}

/** Python `len(s)`. */
export function pyLen(s: string): number {
  if (ASCII_ONLY.test(s)) return s.length
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    n++
  }
  return n
}

/** Python string ordering (by code point), for sorting dict keys like `sorted()`. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (astral code points) sort above the whole BMP in code-point order.
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys) return xs ? 1 : -1
    return x - y
  }
  return a.length - b.length
}

export function sortedKeys(keys: Iterable<string>): string[] {
  return [...keys].sort(compareCodePoints)
}

/** String from code points (chunked: a spread of a huge array would overflow the stack). */
export function fromCodePoints(cps: ArrayLike<number>, lo = 0, hi = cps.length): string {
  let out = ''
  const CHUNK = 8192
  for (let s = lo; s < hi; s += CHUNK) {
    const part: number[] = []
    const e = Math.min(hi, s + CHUNK)
    for (let k = s; k < e; k++) part.push(cps[k] as number)
    out += String.fromCodePoint(...part)
  }
  return out
}
