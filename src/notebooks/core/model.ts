/**
 * Types for Jupyter notebooks (nbformat 4, as nbformat's reader returns them: multiline
 * strings joined) and for nbdime's JSON diff format (docs/source/diffing.rst in jupyter/nbdime,
 * `nbdime/diff_format.py`).
 */

export type JsonPrimitive = string | number | boolean | null
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject
export interface JsonObject {
  [key: string]: JsonValue
}

/** A mime bundle: mime type → value. Text mimes are joined strings; JSON mimes stay objects. */
export type MimeBundle = JsonObject

export interface StreamOutput extends JsonObject {
  output_type: 'stream'
  name: string
  text: string
}

export interface ExecuteResultOutput extends JsonObject {
  output_type: 'execute_result'
  execution_count: number | null
  data: MimeBundle
  metadata: JsonObject
}

export interface DisplayDataOutput extends JsonObject {
  output_type: 'display_data'
  data: MimeBundle
  metadata: JsonObject
}

export interface ErrorOutput extends JsonObject {
  output_type: 'error'
  ename: string
  evalue: string
  traceback: string[]
}

export type Output = StreamOutput | ExecuteResultOutput | DisplayDataOutput | ErrorOutput

export interface Cell extends JsonObject {
  cell_type: string
  source: string
  metadata: JsonObject
}

export interface CodeCell extends Cell {
  cell_type: 'code'
  execution_count: number | null
  outputs: Output[]
}

export interface Notebook extends JsonObject {
  nbformat: number
  nbformat_minor: number
  metadata: JsonObject
  cells: Cell[]
}

// ---- nbdime diff entries ---------------------------------------------------------------------

/** Dict entry: key only in B. */
export interface AddEntry {
  op: 'add'
  key: string
  value: JsonValue
}
/** Dict entry: key only in A. */
export interface RemoveEntry {
  op: 'remove'
  key: string
}
/** Dict entry: atomic value changed, or the type changed. */
export interface ReplaceEntry {
  op: 'replace'
  key: string
  value: JsonValue
}
/** Dict or sequence entry: recurse into the value at `key`. */
export interface PatchEntry {
  op: 'patch'
  key: string | number
  diff: DiffEntry[]
}
/** Sequence entry: insert before A[key]. A string for character-level diffs, else a list. */
export interface AddRangeEntry {
  op: 'addrange'
  key: number
  valuelist: JsonValue[] | string
}
/** Sequence entry: delete A[key:key+length]. */
export interface RemoveRangeEntry {
  op: 'removerange'
  key: number
  length: number
}

export type DiffEntry = AddEntry | RemoveEntry | ReplaceEntry | PatchEntry | AddRangeEntry | RemoveRangeEntry

/** What to leave out of a diff, like nbdime's `-S -O -A -M -I -D` flags. */
export interface DiffOptions {
  ignoreSources?: boolean
  ignoreOutputs?: boolean
  ignoreAttachments?: boolean
  ignoreMetadata?: boolean
  /**
   * Like nbdime, a replaced cell id still appears: ids are atomic, so the ignore-differ that
   * jupyter/nbdime nbdime/diffing/notebooks.py sets for cell ids is never consulted.
   */
  ignoreIds?: boolean
  /** Execution counts of cells and outputs. */
  ignoreDetails?: boolean
  /**
   * Above this many candidate pairs (N·M) in one alignment rectangle, the similarity levels are
   * first anchored on cells that are identical and unique on both sides (see sequence.ts).
   * Default 4,000,000. Real notebooks never get near it.
   */
  exactAlignmentLimit?: number
  /**
   * Most similarity tests when aligning the lines of one string (a cell's source, an output's
   * text), and four times as many pairs of equal lines; default 500,000 (`DEFAULT_MAX_LINE_PAIRS`).
   * Over it, the string's changed block is shown removed and added, and the diff says so.
   */
  maxLinePairs?: number
  /**
   * Lines longer than this (UTF-16 units, either side) are compared for equality only: a changed
   * one is shown removed and added, not diffed character by character. Default 10,000.
   */
  maxLineChars?: number
}

/**
 * A part of a diff made coarser than nbdime would make it, to keep the diff's time bounded.
 * Reported next to the nbdime-format diff (which has no place for it), and shown by every renderer.
 */
export interface DiffDegradation {
  /** nbdime-style path of the string in A, e.g. `/cells/3/source`, `/cells/3/outputs/0/text`. */
  path: string
  /**
   * `lines`: aligning its changed lines would take over `limit` pairs: the block from the first to
   * the last changed line is shown removed and added. `long-lines`: changed lines over `limit`
   * characters were compared for equality only, so they are shown removed and added.
   */
  kind: 'lines' | 'long-lines'
  limit: number
  /** Lines shown removed and added because of it (A's and B's). */
  removed: number
  added: number
}

/** The side of an added or deleted notebook. */
export const EMPTY_NOTEBOOK: Notebook = { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }
