// What every notebook diff engine is (native in process, native in worker threads, nbdime), apart
// from how each is made (engine.ts, worker-engine.ts), so those two need not import each other.
import type { DiffDegradation, DiffEntry, DiffOptions, Notebook } from '../notebooks/core/index.js'

export type EngineName = 'native' | 'nbdime'

export interface NotebookDiffResult {
  /** A as read (nbformat 4, lines joined): the renderers' base. */
  base: Notebook
  diff: DiffEntry[]
  /** Where the diff is coarser than nbdime's, to stay within the caps (native engine only). */
  degraded?: DiffDegradation[]
}

/** Who a diff is for: engines that share their workers fairly queue by it. */
export interface DiffJobContext {
  tenant?: string
}

export interface DiffEngine {
  name: EngineName
  /** Pairs running longer than this fail with DiffTimeLimitError; absent: no limit (in process). */
  timeLimitMs?: number
  /**
   * Throws NotebookParseError ("could not parse b.ipynb: …") for bad input, DiffTimeLimitError
   * over the time limit. Bytes are UTF-8 and may be handed over (a worker engine empties the
   * caller's buffer instead of copying it).
   */
  diff(
    aText: string | Uint8Array,
    bText: string | Uint8Array,
    names: { a: string; b: string },
    options?: DiffOptions,
    job?: DiffJobContext,
  ): Promise<NotebookDiffResult>
}
