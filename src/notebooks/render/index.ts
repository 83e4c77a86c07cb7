/** The renderers of one diff model (HTML page, nbdiff-like text, Markdown summary); pure, no I/O. */
export { renderDiffInProgressHtml, renderNotebookDiffHtml, renderPushDiffHtml, DIFF_PAGE_CSP, type NotebookHtmlInput } from './html.js';
export { describeDegradation, degradedWhere, DEGRADED_HEADING } from './degraded.js';
export { renderNotebookDiffText, type TextRenderOptions } from './text.js';
export { renderNotebookSummaryMarkdown, renderPushSummaryMarkdown, type MarkdownOptions } from './markdown.js';
export { applyDiff } from './patch.js';
export { summarize, type NotebookSummary } from './view.js';
export { EMPTY_NOTEBOOK, type FileDiff, type FileStatus, type NoteReason, type PushDiff } from '../../diffs/model.js';
export { escapeHtml, sanitizeNotebookHtml, stripAnsi } from './safe.js';
