/** The renderers of one diff model (HTML page, nbdiff-like text, Markdown summary); pure, no I/O. */
export { renderDiffInProgressHtml, renderNotebookDiffHtml, renderPushDiffHtml, DIFF_PAGE_CSP, type NotebookHtmlInput } from './render-html.js';
export { describeDegradation, degradedWhere, DEGRADED_HEADING } from './render-degraded.js';
export { renderNotebookDiffText, type TextRenderOptions } from './render-text.js';
export { renderNotebookSummaryMarkdown, renderPushSummaryMarkdown, type MarkdownOptions } from './render-markdown.js';
export { applyDiff } from './render-patch.js';
export { summarize, type NotebookSummary } from './render-view.js';
export { EMPTY_NOTEBOOK, type FileDiff, type FileStatus, type NoteReason, type PushDiff } from './render-input.js';
export { escapeHtml, sanitizeNotebookHtml, stripAnsi } from './render-safe.js';
