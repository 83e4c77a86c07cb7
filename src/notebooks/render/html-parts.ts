/**
 * HTML fragments for the diff page: line tables (side by side and unified), outputs, images,
 * leaf-change lists. Every piece of notebook text goes through `escapeHtml`; notebook HTML goes
 * through the sanitizer; images only as validated PNG/JPEG data: URIs (safe.ts).
 */
import type { JsonObject, JsonValue } from '../core/model.js'
import { escapeHtml as esc, imageDataUri, stripAnsi } from './safe.js'
import { sanitizeNotebookHtml } from './sanitize.js'
import type { LeafChange, LineRow, Segment } from './view.js'

const trimEol = (s: string) => s.replace(/(?:\r\n|\n|\r)$/, '')
const text = (s: string) => esc(stripAnsi(trimEol(s)))
const segs = (ss: readonly Segment[]) =>
  ss.map((s) => (s.changed ? `<mark>${text(s.text)}</mark>` : text(s.text))).join('')

/** Both layouts of one line diff; CSS shows the one the reader picked. */
export function lineTables(rows: readonly LineRow[]): string {
  return `<table class="lines side">${rows.map(sideRow).join('')}</table><table class="lines uni">${rows.map(uniRow).join('')}</table>`
}

function sideRow(r: LineRow): string {
  if (r.kind === 'same')
    return `<tr><td class="n">${r.aNo}</td><td>${text(r.text)}</td><td class="n">${r.bNo}</td><td>${text(r.text)}</td></tr>`
  if (r.kind === 'del')
    return `<tr><td class="n">${r.aNo}</td><td class="del">${text(r.text)}</td><td class="n"></td><td class="gap"></td></tr>`
  if (r.kind === 'add')
    return `<tr><td class="n"></td><td class="gap"></td><td class="n">${r.bNo}</td><td class="add">${text(r.text)}</td></tr>`
  return `<tr><td class="n">${r.aNo}</td><td class="del">${segs(r.a)}</td><td class="n">${r.bNo}</td><td class="add">${segs(r.b)}</td></tr>`
}

function uniRow(r: LineRow): string {
  const row = (cls: string, a: number | '', b: number | '', sign: string, body: string) =>
    `<tr><td class="n">${a}</td><td class="n">${b}</td><td class="${cls}"><span class="sign">${sign}</span>${body}</td></tr>`
  if (r.kind === 'same') return row('', r.aNo, r.bNo, ' ', text(r.text))
  if (r.kind === 'del') return row('del', r.aNo, '', '-', text(r.text))
  if (r.kind === 'add') return row('add', '', r.bNo, '+', text(r.text))
  return row('del', r.aNo, '', '-', segs(r.a)) + row('add', '', r.bNo, '+', segs(r.b))
}

/** A plain unified diff (git's) with its lines coloured. */
export function unifiedBlock(unified: string): string {
  const lines = unified.split('\n').map((l) => {
    const cls = l.startsWith('@@')
      ? 'hunk'
      : l.startsWith('+') && !l.startsWith('+++')
        ? 'add'
        : l.startsWith('-') && !l.startsWith('---')
          ? 'del'
          : ''
    return cls ? `<span class="${cls}">${text(l)}</span>` : text(l)
  })
  return `<pre class="unified">${lines.join('\n')}</pre>`
}

const asText = (v: JsonValue | undefined): string =>
  typeof v === 'string'
    ? v
    : Array.isArray(v) && v.every((x) => typeof x === 'string')
      ? v.join('')
      : v === undefined
        ? ''
        : JSON.stringify(v, null, 1)

/** One output as it would look in the notebook — inert. */
export function outputHtml(o: JsonObject | undefined): string {
  if (!o) return ''
  const type = String(o['output_type'] ?? 'output')
  if (type === 'stream')
    return `<pre class="stream ${o['name'] === 'stderr' ? 'stderr' : ''}">${text(asText(o['text']))}</pre>`
  if (type === 'error') {
    const tb = Array.isArray(o['traceback']) ? o['traceback'].map((l) => asText(l)).join('\n') : ''
    return `<pre class="error"><b>${text(asText(o['ename']))}: ${text(asText(o['evalue']))}</b>\n${text(tb)}</pre>`
  }
  const data = (o['data'] ?? {}) as JsonObject
  return mimeBundleHtml(data)
}

/** The richest safe view of a mime bundle, plus a note on what is not shown. */
export function mimeBundleHtml(data: JsonObject): string {
  const parts: string[] = []
  const mimes = Object.keys(data)
  const image = mimes.find((m) => m === 'image/png' || m === 'image/jpeg')
  if (image) {
    const uri = imageDataUri(image, data[image])
    parts.push(
      uri
        ? `<img alt="${esc(image)} output" src="${uri}">`
        : `<p class="note">${esc(image)} that is not valid base64 ${esc(image.slice(6).toUpperCase())}: not shown</p>`,
    )
  } else if (typeof data['text/html'] === 'string' || Array.isArray(data['text/html'])) {
    parts.push(`<div class="html-output">${sanitizeNotebookHtml(asText(data['text/html']))}</div>`)
  } else if (data['text/plain'] !== undefined) {
    parts.push(`<pre>${text(asText(data['text/plain']))}</pre>`)
  } else if (data['text/markdown'] !== undefined || data['text/latex'] !== undefined) {
    parts.push(`<pre>${text(asText(data['text/markdown'] ?? data['text/latex']))}</pre>`)
  }
  const hidden = mimes.filter((m) => m !== image && !m.startsWith('text/'))
  if (hidden.length) parts.push(`<p class="note">also: ${hidden.map(esc).join(', ')} (not rendered)</p>`)
  return parts.join('')
}

/** Attachments of a markdown cell: images shown, everything else named. */
export function attachmentsHtml(att: JsonValue | undefined): string {
  if (!att || typeof att !== 'object' || Array.isArray(att)) return ''
  return Object.entries(att)
    .map(
      ([name, bundle]) =>
        `<figure><figcaption>${esc(name)}</figcaption>${bundle && typeof bundle === 'object' && !Array.isArray(bundle) ? mimeBundleHtml(bundle) : ''}</figure>`,
    )
    .join('')
}

/** Metadata, execution counts, ids …: a compact list inside a closed <details>. */
export function leafChangesHtml(title: string, changes: readonly LeafChange[]): string {
  if (changes.length === 0) return ''
  const items = changes.map((c) => {
    const head = `<code>${esc(c.path)}</code> ${c.action}`
    if (c.rows) return `<li>${head}${lineTables(c.rows)}</li>`
    const before =
      c.before !== undefined && c.action !== 'added' && c.action !== 'inserted'
        ? `<pre class="del">${valueText(c.before)}</pre>`
        : ''
    const after =
      c.after !== undefined && c.action !== 'removed' && c.action !== 'deleted'
        ? `<pre class="add">${valueText(c.after)}</pre>`
        : ''
    return `<li>${head}${before}${after}</li>`
  })
  return `<details class="meta"><summary>${esc(title)} (${changes.length})</summary><ul>${items.join('')}</ul></details>`
}

function valueText(v: JsonValue): string {
  const s =
    typeof v === 'string'
      ? v
      : JSON.stringify(
          v,
          (_k, x: unknown) => (typeof x === 'string' && x.length > 200 ? `${x.slice(0, 60)}… (${x.length} chars)` : x),
          1,
        )
  return text(s.length > 4000 ? `${s.slice(0, 4000)}… (${s.length} chars)` : s)
}

export const PAGE_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1f2328;background:#fff}
header.page{padding:12px 20px;border-bottom:1px solid #d0d7de;background:#f6f8fa}
main{padding:8px 20px}
.file{border:1px solid #d0d7de;border-radius:6px;margin:16px 0}
.file>h2{font-size:15px;margin:0;padding:8px 12px;background:#f6f8fa;border-bottom:1px solid #d0d7de}
.file>.body{padding:8px 12px}
.badge{font-size:12px;padding:1px 6px;border-radius:10px;background:#eaeef2;margin-left:6px}
.cell{border-left:4px solid #d0d7de;margin:10px 0;padding:4px 8px}
.cell.added{border-color:#1a7f37}.cell.removed{border-color:#cf222e}.cell.modified{border-color:#9a6700}
.cell h3{font-size:13px;margin:2px 0;color:#57606a;font-weight:600}
table.lines{border-collapse:collapse;width:100%;font:12px/1.45 ui-monospace,monospace;table-layout:fixed}
table.lines td{white-space:pre-wrap;word-break:break-all;vertical-align:top;padding:0 6px}
table.lines td.n{width:3em;color:#8c959f;text-align:right;user-select:none}
td.del,pre.del,span.del{background:#ffebe9}td.add,pre.add,span.add{background:#dafbe1}td.gap{background:#f6f8fa}
td.del mark{background:#ff8182}td.add mark{background:#6fdd8b}mark{color:inherit}
.sign{color:#8c959f}
pre{font:12px/1.45 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all;margin:4px 0}
pre.error{background:#fff8f8;border-left:3px solid #cf222e;padding:4px}
pre.stderr{background:#fff8e6}
.outs{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.out{border:1px dashed #d0d7de;padding:4px;overflow:auto}
.out.removed{background:#fff5f5;border-color:#cf222e}.out.added{background:#f4fff6;border-color:#1a7f37}
.out img{max-width:100%}
.note{color:#57606a;font-style:italic}
.degraded{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:4px 8px;margin:6px 0}
.degraded ul{margin:4px 0;padding-left:20px}.badge.warn{background:#fff8c5;border:1px solid #d4a72c}
.html-output table{border-collapse:collapse}.html-output td,.html-output th{border:1px solid #d0d7de;padding:2px 6px}
details.meta{margin:4px 0}details.meta summary{cursor:pointer;color:#57606a}
span.hunk{color:#0550ae}
.viewswitch{margin-left:12px}.viewswitch label{cursor:pointer;text-decoration:underline;color:#0969da}
#v-side:checked~header label[for=v-side],#v-uni:checked~header label[for=v-uni]{font-weight:700;text-decoration:none;color:inherit}
#v-side:checked~main table.uni{display:none}
#v-uni:checked~main table.side{display:none}
#v-uni:checked~main .outs{grid-template-columns:1fr}
`
