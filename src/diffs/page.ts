// A push's HTML page: every changed file, notebooks cell by cell (their sections come from
// notebooks/render/html.ts), other files as unified diffs or a note saying why they are not.
// Served with DIFF_PAGE_CSP (notebooks/render/safe.ts): the page has no <script>.
import { notebookBadges, notebookSectionBody, page } from '../notebooks/render/html.js'
import { PAGE_CSS, unifiedBlock } from '../notebooks/render/html-parts.js'
import { escapeHtml as esc } from '../notebooks/render/safe.js'
import type { FileDiff, PushDiff } from './model.js'

/** The page for a push: every changed file, notebooks cell by cell. */
export function renderPushDiffHtml(push: PushDiff): string {
  const title = `${push.repository} ${push.ref ?? ''} ${push.base.slice(0, 10)}…${push.head.slice(0, 10)}`
  const notes = push.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')
  const toc = push.files.length
    ? `<ul class="toc">${push.files.map((f, k) => `<li><a href="#file-${k}">${esc(f.path)}</a> <span class="badge">${esc(f.status)}</span></li>`).join('')}</ul>`
    : '<p class="note">No files changed.</p>'
  const files = push.files.map((f, k) => fileSection(f, k)).join('')
  return page(title, `${notes}${toc}`, files)
}

/**
 * What a push's page answers while its diff is being made: a small page that reloads itself every
 * `seconds` with a meta refresh (no script; the diff pages' CSP allows none), keeping the URL and
 * so a signed link's query.
 */
export function renderDiffInProgressHtml(seconds: number, timeLimitMs?: number): string {
  const limit = timeLimitMs
    ? ` Each notebook gets at most ${Math.round(timeLimitMs / 1000)} s; one that needs longer is shown as too large to diff in time.`
    : ''
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${seconds}"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Diff in progress</title><style>${PAGE_CSS}</style></head>
<body><header class="page"><strong>Diff in progress</strong></header>
<main><p>This push is being diffed. The page reloads itself every ${seconds} seconds until the diff is ready.${esc(limit)}</p></main></body></html>
`
}

function fileSection(f: FileDiff, k: number): string {
  const renamed = f.oldPath && f.oldPath !== f.path ? ` <span class="note">from ${esc(f.oldPath)}</span>` : ''
  let head = `${esc(f.path)}${renamed}<span class="badge">${esc(f.status)}</span>`
  let body: string
  if (f.kind === 'notebook') {
    head += notebookBadges(f.summary, f.degraded ?? [])
    body = notebookSectionBody(f.base, f.diff, f.degraded ?? [])
  } else if (f.kind === 'text') body = f.unified ? unifiedBlock(f.unified) : '<p class="note">no textual change</p>'
  else if (f.reason === 'time-limit') {
    head += '<span class="badge warn">too large to diff in time</span>'
    body = `<p class="degraded">${esc(f.note)}</p>${f.unified ? unifiedBlock(f.unified) : ''}`
  } else body = `<p class="note">${esc(f.note)}</p>${f.unified ? unifiedBlock(f.unified) : ''}`
  return `<section class="file" id="file-${k}"><h2>${head}</h2><div class="body">${body}</div></section>`
}
