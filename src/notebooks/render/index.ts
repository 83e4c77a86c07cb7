/**
 * The renderers of one notebook diff (HTML page, nbdiff-like text, Markdown summary); pure, no I/O.
 * A push's page and summary are diffs/page.ts and diffs/summary.ts.
 */
export { renderNotebookDiffHtml, DIFF_PAGE_CSP, type NotebookHtmlInput } from './html.js'
export { describeDegradation, degradedWhere, DEGRADED_HEADING } from './degraded.js'
export { renderNotebookDiffText, type TextRenderOptions } from './text.js'
export { renderNotebookSummaryMarkdown, type MarkdownOptions } from './markdown.js'
export { applyDiff } from './patch.js'
export { summarize, type NotebookSummary } from './view.js'
export { escapeHtml, stripAnsi } from './safe.js'
export { sanitizeNotebookHtml } from './sanitize.js'
