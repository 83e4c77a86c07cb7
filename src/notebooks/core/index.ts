/** Tamer's notebook diff core: pure functions, no I/O. */
export type {
  Cell,
  CodeCell,
  DiffDegradation,
  DiffEntry,
  DiffOptions,
  JsonObject,
  JsonValue,
  Notebook,
  Output,
  AddEntry,
  RemoveEntry,
  ReplaceEntry,
  PatchEntry,
  AddRangeEntry,
  RemoveRangeEntry,
} from './model.js'
export { EMPTY_NOTEBOOK } from './model.js'
export { NotebookParseError, parseNotebook } from './parse.js'
export {
  DEFAULT_MAX_LINE_CHARS,
  DEFAULT_MAX_LINE_PAIRS,
  diffNotebooks,
  diffNotebooksDetailed,
  diffStringsByChar,
} from './diff.js'
export { SequenceMatcher } from './difflib.js'
export { splitLinesKeepEnds, codePoints } from './text.js'
