/**
 * The diff of one push: one entry per changed file. push-diff.ts builds these; the HTML page
 * (page.ts), the Markdown summary (summary.ts) and the JSON API show them. Pure data.
 */
import type { FileStatus } from '../git/changes.js'
import type { DiffDegradation, DiffEntry, Notebook } from '../notebooks/core/model.js'
import type { NotebookSummary } from '../notebooks/render/view.js'

export type { FileStatus }

interface FileDiffCommon {
  path: string
  /** The path before a rename or copy. */
  oldPath: string | null
  status: FileStatus
}

/** A notebook diffed cell by cell: `diff` is nbdime's format against `base` (empty for added files). */
export interface NotebookFileDiff extends FileDiffCommon {
  kind: 'notebook'
  base: Notebook
  diff: DiffEntry[]
  summary: NotebookSummary
  /** Where the diff is coarser than nbdime's to stay within the caps; absent when nowhere. */
  degraded?: DiffDegradation[]
}

/** Any other text file: a unified diff. */
export interface TextFileDiff extends FileDiffCommon {
  kind: 'text'
  unified: string
}

/** `time-limit`: a notebook the engine could not diff within diffs.timeLimitMs ("too large to diff in time"). */
export type NoteReason = 'lfs' | 'submodule' | 'too-large' | 'time-limit' | 'binary' | 'unparsable' | 'omitted'

/** A file that is described rather than diffed; `unified` is a plain-text fallback where one exists. */
export interface NoteFileDiff extends FileDiffCommon {
  kind: 'note'
  reason: NoteReason
  note: string
  unified?: string
}

export type FileDiff = NotebookFileDiff | TextFileDiff | NoteFileDiff

export interface PushDiff {
  repository: string
  ref: string | null
  /** The commit diffed against (the merge-base for a new branch). */
  base: string
  head: string
  files: FileDiff[]
  /** Said plainly on the page, e.g. "new branch: compared with the merge-base with main". */
  notes: string[]
}
