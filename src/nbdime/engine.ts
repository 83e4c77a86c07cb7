// One way to diff notebook texts, whichever engine a deployment chose. The native engine is the
// default; `nbdime` runs the real nbdiff and falls back to native, saying so, where it is absent.
import { diffNotebooks, parseNotebook, type DiffEntry, type DiffOptions, type Notebook } from '../notebooks/index.js'
import { detectNbdime, nbdimeDiff, type NbdiffOptions } from './nbdiff.js'

export type EngineName = 'native' | 'nbdime'

export interface NotebookDiffResult {
  /** A as read (nbformat 4, lines joined): the renderers' base. */
  base: Notebook
  diff: DiffEntry[]
}

export interface DiffEngine {
  name: EngineName
  /** Throws NotebookParseError ("could not parse b.ipynb: …") for bad input. */
  diff(aText: string, bText: string, names: { a: string; b: string }, options?: DiffOptions): Promise<NotebookDiffResult>
}

export const nativeEngine: DiffEngine = {
  name: 'native',
  async diff(aText, bText, names, options = {}) {
    const base = parseNotebook(aText, names.a)
    const b = parseNotebook(bText, names.b)
    return { base, diff: diffNotebooks(base, b, options) }
  },
}

export function nbdimeEngine(opts: NbdiffOptions = {}): DiffEngine {
  return {
    name: 'nbdime',
    async diff(aText, bText, names, options = {}) {
      // Parse first: bad input gets the same clear error as with the native engine, and the
      // renderers need A anyway.
      const base = parseNotebook(aText, names.a)
      parseNotebook(bText, names.b)
      return { base, diff: await nbdimeDiff(aText, bText, options, opts) }
    },
  }
}

/** The engine asked for, or native with a plain `notice` when nbdime cannot run here. */
export async function createDiffEngine(name: EngineName, opts: NbdiffOptions = {}): Promise<{ engine: DiffEngine; notice: string | null }> {
  if (name === 'native') return { engine: nativeEngine, notice: null }
  const found = await detectNbdime(opts)
  if (!found.available) return { engine: nativeEngine, notice: `nbdime engine requested but unavailable (${found.reason}); using the native engine` }
  return { engine: nbdimeEngine({ ...opts, command: found.command }), notice: null }
}
