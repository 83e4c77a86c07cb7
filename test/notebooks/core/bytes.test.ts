// Notebooks parsed from their bytes (src/notebooks/core/bytes.ts: non-ASCII written as \u escapes
// so the JSON text stays one byte per character) give what the decoded text gives: the same
// notebook, the same invented ids, the same error.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as fc from 'fast-check'
import t from 'tap'
import { NotebookParseError, parseNotebook } from '../../../src/notebooks/core/index.js'
import { jsonText } from '../../../src/notebooks/core/bytes.js'
import { NOTEBOOK_CORPUS, notebookCorpusPairs } from '../../support/notebook-corpus.js'
import { runs } from '../../support/properties.js'

const utf8 = (s: string) => new TextEncoder().encode(s)
/** `bytes` at each of the four alignments (a Buffer from Node's pool starts anywhere). */
function shifted(bytes: Uint8Array): Uint8Array[] {
  return [0, 1, 2, 3].map((k) => {
    const buf = new Uint8Array(bytes.length + k)
    buf.set(bytes, k)
    return buf.subarray(k)
  })
}
const outcome = (input: string | Uint8Array, consume = false) => {
  try {
    return JSON.stringify(parseNotebook(input, 'b.ipynb', { consume }))
  } catch (e) {
    if (e instanceof NotebookParseError) return `error: ${e.message}`
    throw e
  }
}
// ArrayBuffer#transfer: Node 22 and later (the supported versions); Node 20 keeps the bytes.
const canRelease = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'
/**
 * The outcome from a copy of the bytes in a buffer of its own, let go before the text is parsed:
 * emptied (detached) after, so anything read from them later (the file's text for an id or an
 * error message) would come out empty and differ.
 */
function consumed(bytes: Uint8Array): { outcome: string; emptied: boolean } {
  const own = Uint8Array.from(bytes)
  const outcome_ = outcome(own, true)
  return { outcome: outcome_, emptied: !canRelease || own.byteLength === 0 }
}
const notebook = (source: string, extra = '') =>
  `{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["${source}"]${extra}}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}`

t.test('non-ASCII files: the same notebook from bytes as from text, from one-byte ASCII text', async (t) => {
  const files = notebookCorpusPairs()
    .flatMap((p) => [p.a, p.b])
    .filter((text) => /[^\x00-\x7f]/.test(text))
    .slice(0, 12)
  if (files.length === 0) return void t.comment(`no corpus under ${NOTEBOOK_CORPUS}`)
  for (const text of files) {
    const bytes = utf8(text)
    t.match(jsonText(bytes).body, /^[\x00-\x7f]*$/, 'escaped to ASCII')
    t.equal(outcome(bytes), outcome(text))
    t.equal(consumed(bytes).outcome, outcome(text), 'the same with the bytes let go first')
  }
})

t.test('edge cases read from bytes as from the decoded text', async (t) => {
  const bad = (s: string, ...raw: number[]) => {
    const [pre, post] = s.split('@') as [string, string]
    return Uint8Array.from([...utf8(pre), ...raw, ...utf8(post)])
  }
  const cases: [string, Uint8Array][] = [
    ['byte-order mark', Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8(notebook('x'))])],
    ['U+FEFF inside a string, first of its run', utf8(notebook('a\ufeffb ≥ é'))],
    ['astral and two-byte characters, a non-ASCII key', utf8(notebook('😀 ≥ é ß', ', "Ω": "Ж"'))],
    ['a stray continuation byte', bad(notebook('a@b'), 0x80)],
    ['a sequence cut short by a quote', bad(notebook('a@'), 0xe2, 0x89)],
    ['an encoded surrogate', bad(notebook('a@b'), 0xed, 0xa0, 0x80)],
    ['past U+10FFFF', bad(notebook('a@b'), 0xf4, 0x90, 0x80, 0x80)],
    ['an invalid escape: backslash then non-ASCII', utf8(notebook('a\\é'))],
    ['an escaped backslash then non-ASCII', utf8(notebook('a\\\\é'))],
    ['non-ASCII outside strings', utf8(notebook('x').replace('"metadata": {}}]', '"metadata": {}}]é'))],
    ['empty', new Uint8Array(0)],
    ['only a byte-order mark', Uint8Array.from([0xef, 0xbb, 0xbf])],
    [
      'invented ids (nbformat 4.5 without ids)',
      utf8(notebook('≥').replace('"nbformat_minor": 4', '"nbformat_minor": 5')),
    ],
  ]
  for (const [name, bytes] of cases) {
    const text = Buffer.from(bytes).toString('utf8')
    for (const b of shifted(bytes)) t.equal(outcome(b), outcome(text), name)
    t.same(consumed(bytes), { outcome: outcome(text), emptied: true }, `${name}, the bytes let go before parsing`)
  }
})

t.test('long strings (taken out of the text, bytes.ts) read from bytes as from the decoded text', async (t) => {
  const long = 'iVBORw0KGgo'.repeat(400)
  const numbers = Array.from({ length: 2000 }, (_, i) => i).join(',')
  const image = (extra = '') =>
    notebook(
      'x',
      `, "outputs": [{"data": {"image/png": "${long}${extra}"}, "metadata": {}, "output_type": "display_data"}]`,
    )
  const cases: [string, string][] = [
    ['an image output', image()],
    ['an image ending in an escaped newline', image('\\n')],
    ['two images and non-ASCII around them', image('é').replace('"x"', '"≥ x"')],
    ['an image as a list of lines', image(`", "${long}`)],
    ['a long source line in a list', notebook(`${long}\\n", "${long}`)],
    ['a long key', notebook('x', `, "${long}": 1`)],
    ['a long key, spaces before its colon', notebook('x', `, "${long}" \n\t : 1`)],
    ['a long value under "__proto__"', notebook('x', `, "__proto__": "${long}"`)],
    ['a long string with a control character', notebook('x', `, "k": "${long}\u0001"`)],
    ['a long string with a bad escape', notebook('x', `, "k": "${long}\\q"`)],
    // Taken from the bytes as they are, escapes decoded only in a short tail (bytes.ts stringValue).
    ['a control character, then an escaped tail', notebook('x', `, "k": "${long}\t${long}\\n"`)],
    ['an escaped tail with a control character', notebook('x', `, "k": "${long}\\n\u0001"`)],
    ['an escaped tail, one-byte characters', notebook('x', `, "k": "${long}\\u00e9\\u00ff\\/\\\\"`)],
    ['an escaped tail, two-byte characters', notebook('x', `, "k": "${long}\\u2265\\ud83d\\ude00\\n"`)],
    ['an escape 64 bytes before the end', notebook('x', `, "k": "${long}\\n${'a'.repeat(62)}"`)],
    ['an escape 65 bytes before the end', notebook('x', `, "k": "${long}\\n${'a'.repeat(63)}"`)],
    ['escapes all along (base64 in lines)', notebook('x', `, "k": "${`${long.slice(0, 76)}\\n`.repeat(60)}"`)],
    ['a long string holding an escaped quote', notebook('x', `, "k": "${long}\\"${long}"`)],
    ['a file that writes U+0000 (no placeholders then)', notebook('x', `, "j": "\\u00000", "k": "${long}"`)],
    ['a long run outside strings (invalid)', notebook('x', `, "k": "a" ${long} "b"`)],
    // Between two quotes, quote-free and with no control character, as a long string is: read as one, it
    // left the text invalid (a valid file refused).
    ['a long list of numbers, minified (valid)', notebook('x', `, "n": [${numbers}], "m": "b"`)],
    ['a long run after an unclosed string (invalid)', notebook('x', `, "k": "a, "${long}"`)],
    ['a long top-level string', `"${long}"`],
    ['a long string in a nested list', notebook('x', `, "k": [[1, ["${long}"]], {"m": "${long}"}]`)],
  ]
  for (const [name, text] of cases) {
    const bytes = utf8(text)
    for (const b of shifted(bytes)) t.equal(outcome(b), outcome(text), name)
    t.same(consumed(bytes), { outcome: outcome(text), emptied: true }, `${name}, the bytes let go`)
  }
  t.ok(jsonText(utf8(image())).body.length < 1000, 'the image is not in the text')
  // 100-128 KB: parsed (V8 keeps what JSON.parse makes of such a text in its old generation), out all the same.
  for (const size of [110_000, 140_000]) {
    const big = notebook('x', `, "k": "${'iVBORw0KGgo'.repeat(size / 10)}\\n"`)
    t.ok(jsonText(utf8(big)).body.length < 1000, `a string of ${size} bytes is not in the text`)
    t.equal(outcome(utf8(big)), outcome(big), `a string of ${size} bytes read from bytes as from the text`)
  }
})

t.test('a notebook of the corpus read from a file', async (t) => {
  const path = join(NOTEBOOK_CORPUS, 'hml2-03-section-headers', 'a.ipynb')
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch {
    return void t.comment(`no ${path}`)
  }
  t.equal(outcome(bytes), outcome(bytes.toString('utf8')))
})

t.test('any bytes: the same outcome from bytes as from the decoded text (property)', async (t) => {
  // Mostly a valid notebook whose text mixes ASCII, escapes, non-ASCII and broken UTF-8, at any alignment.
  const piece = fc.oneof(
    fc.constantFrom(
      'a',
      ' ',
      '\\',
      '\\\\',
      '"',
      '\\n',
      '\\u00e9',
      '\\u2265',
      '\t',
      'é',
      '≥',
      '😀',
      '\ufeff',
      'abcdefg',
    ),
    // Long enough to be taken out of the text when it is a whole string (bytes.ts longStrings).
    fc.constantFrom('A'.repeat(4100), ':'.repeat(4200)),
    fc.constantFrom([0x80], [0xe2, 0x89], [0xed, 0xa0, 0x80], [0xff], [0xc3]),
  )
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), fc.nat(3), fc.boolean(), (pieces, shift, bom) => {
      const body = pieces.flatMap((p) => (typeof p === 'string' ? [...utf8(p)] : p))
      const [pre, post] = notebook('@').split('@') as [string, string]
      const bytes = Uint8Array.from([...(bom ? [0xef, 0xbb, 0xbf] : []), ...utf8(pre), ...body, ...utf8(post)])
      const b = shifted(bytes)[shift] as Uint8Array
      const want = outcome(Buffer.from(bytes).toString('utf8'))
      const c = consumed(bytes)
      return outcome(b) === want && c.outcome === want && c.emptied
    }),
    runs(t, 1000),
  )
})
