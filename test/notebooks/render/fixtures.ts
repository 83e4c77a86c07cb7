// Notebooks for the renderer tests: real PNGs, and a pair whose every field carries a payload.
import { deflateSync } from 'node:zlib'
import { code, display, error, lines, md, notebook, result, stream } from '../fixtures.js'

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (buf: Buffer) => {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

/** A real w×h PNG of one colour, base64 (as notebooks store it). */
export function solidPng(w: number, h: number, [r, g, b]: [number, number, number]): string {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0)
  ihdr.writeUInt32BE(h, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())])
  const raw = Buffer.concat(Array.from({ length: h }, () => row))
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([
    sig,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]).toString('base64')
}

export const RED = solidPng(60, 30, [220, 40, 40])
export const BLUE = solidPng(60, 30, [40, 80, 220])

/**
 * Every place a notebook can carry markup. `beacon` is a URL on the test's own server: a payload
 * that ran (or loaded anything) would set window.__pwned or hit that URL.
 */
export function hostilePair(beacon: string): { a: Record<string, unknown>; b: Record<string, unknown> } {
  const js = `window.__pwned=1;fetch('${beacon}?js')`
  const payloads = [
    `<script>${js}</script>`,
    `<img src=x onerror="${js}">`,
    `<img src="${beacon}?img">`,
    `<a href="javascript:${js}">click</a>`,
    `<iframe srcdoc="<script>parent.${js}</script>"></iframe>`,
    `<svg onload="${js}"><script>${js}</script></svg>`,
    `<object data="${beacon}?object"></object><embed src="${beacon}?embed">`,
    `<style>@import url('${beacon}?css'); body{background:url('${beacon}?bg')}</style>`,
    `<body onload="${js}"><div style="background:url('${beacon}?inline')">x</div>`,
    `<form action="${beacon}?form"><button formaction="javascript:${js}">go</button></form>`,
    `<meta http-equiv="refresh" content="0;url=${beacon}?meta"><base href="${beacon}/">`,
    `<link rel="stylesheet" href="${beacon}?link"><video poster="${beacon}?poster"></video>`,
    `<math><mtext><table><mglyph><style><img src=x onerror="${js}">`,
    `</pre></td></table><script>${js}</script>`,
  ].join('\n')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg"><script>${js}</script><image href="${beacon}?svgimg"/></svg>`
  const table = '<table><tr><th>metric</th><td>0.91</td></tr></table>'
  const a = notebook([
    md('m1', `# Report ${payloads}`, {
      attachments: { 'x.png': { 'image/png': RED }, 'evil.svg': { 'image/svg+xml': svg } },
    }),
    code('c1', `print("<script>${js}</script>")`, [stream('accuracy: 0.91\n<script>' + js + '</script>\n')], 1),
    code('c2', 'df', [result({ 'text/html': lines(table + payloads), 'text/plain': ['df'] }, 2)], 2, {
      tags: [`<script>${js}</script>`],
    }),
    code('c3', 'plot()', [display({ 'image/png': RED, 'text/plain': ['<Figure>'] })], 3),
    code(
      'c4',
      'svg()',
      [display({ 'image/svg+xml': lines(svg), 'application/javascript': [js], 'text/plain': ['<svg>'] })],
      4,
    ),
    code(
      'c5',
      'boom()',
      [error('ValueError', `<img src=x onerror="${js}">`, [`\u001b[0;31mValueError\u001b[0m: <script>${js}</script>`])],
      5,
    ),
  ]) as Record<string, unknown>
  const b = notebook([
    md('m1', `# Report v2 ${payloads}`, {
      attachments: { 'x.png': { 'image/png': BLUE }, 'evil.svg': { 'image/svg+xml': svg + ' ' } },
    }),
    code('c1', `print("<script>${js}</script>!")`, [stream('accuracy: 0.93\n<script>' + js + '</script>\n')], 6),
    code(
      'c2',
      'df',
      [
        result(
          {
            'text/html': lines(table.replace('0.91', '0.93') + payloads + '<p onclick="x">more</p>'),
            'text/plain': ['df2'],
          },
          7,
        ),
      ],
      7,
      { tags: [`<iframe src="javascript:${js}">`] },
    ),
    code('c3', 'plot()', [display({ 'image/png': BLUE, 'text/plain': ['<Figure>'] })], 8),
    code(
      'c4',
      'svg()',
      [
        display({
          'image/svg+xml': lines(svg + '\n<!-- v2 -->'),
          'application/javascript': [js + ';1'],
          'text/plain': ['<svg>'],
        }),
      ],
      9,
    ),
    code(
      'c5',
      'boom()',
      [error('ValueError', `<svg onload="${js}">`, [`\u001b[0;31mValueError\u001b[0m: <svg onload="${js}">`])],
      10,
    ),
    code(
      'c6',
      `# javascript:${js}`,
      [display({ 'text/html': [payloads], 'image/png': 'iVBORw0KGgo"><script>' + js + '</script>' })],
      11,
    ),
  ]) as Record<string, unknown>
  ;(b['metadata'] as Record<string, unknown>)['title'] = `<script>${js}</script>`
  return { a, b }
}
