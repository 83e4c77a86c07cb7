// One way to diff notebook texts, whichever engine a deployment chose. The native engine is the
// default; `nbdime` runs the real nbdiff and falls back to native, saying so, where it is absent.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { diffNotebooksDetailed, parseNotebook } from '../notebooks/core/index.js'
// nbdiff.js (execa, the error catalogue) is loaded only when nbdime is asked for: `tamer diff` starts without it.
import type { NbdiffOptions } from './nbdiff.js'
import { DiffTimeLimitError } from './time-limit.js'
import type { DiffEngine, EngineName } from './types.js'
import type { WorkerEngineOptions } from './worker-engine.js'

export type { DiffEngine, DiffJobContext, EngineName, NotebookDiffResult } from './types.js'

const asText = (x: string | Uint8Array) =>
  typeof x === 'string' ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('utf8')

/**
 * For a process that diffs one pair and exits (`tamer diff`): V8's young generation stays at its
 * start size instead of doubling while the notebooks are parsed. Parsed notebooks survive anyway
 * (a bigger young generation only delays copying them out), and the growth was most of the peak
 * memory: bench:diff, hml2-08 (7.2 MB) 32 MB over start-up → 24 MB. The worker engine sets its
 * threads' young generation instead (worker-engine.ts). V8 reads the factor each time it grows
 * the space, so setting it at run time works (node --v8-options: --semi-space-growth-factor).
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
}

/**
 * keepYoungGenerationSmall, and no TurboFan: one diff is over before V8's top tier pays for
 * itself. Its compiles (on helper threads, with their own zones of memory) cost more CPU than the
 * faster code saves in a 0.1–1 s diff, and several MB of RSS: bench:diff, the real pairs in one
 * interleaved run, Maglev alone (V8's mid tier) took less CPU and 4–6 MB less memory (README,
 * Performance). The tiering manager reads the flag when it decides, so run time is early enough.
 */
export function tuneForOneDiff(): void {
  keepYoungGenerationSmall()
  setFlagsFromString('--no-turbofan')
  oneDiff = true
}

let oneDiff = false
let gc: (() => void) | undefined
/**
 * In a one-shot diff, a full collection after a side whose JSON text (what was left of it once the
 * long strings were taken out, bytes.ts) was 1 MB or more: the text is garbage once parsed, but a
 * large object stays until a full collection, so the next side's text and the diff came on top of
 * it (hml2-08, 7.2 MB, whole texts: 2.8-2.9x the files cold -> 2.1x). Image-heavy notebooks leave a
 * fraction of the file as text, and there each collection cost more than it saved: bench:diff's
 * child, spl-lecture4 (3.3 MB, texts 0.27 MB a side) 2.8-2.9x the files cold without them, 2.5-2.6x
 * with them, for 40-50 ms of CPU of ~140 (3 runs each in turn, load ~13). A server's in-process
 * engine never collects; the worker engine does after every side (diff-worker.ts).
 */
function afterSide(textLength: number): void {
  if (!oneDiff || textLength < 1_000_000) return
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
}

export const nativeEngine: DiffEngine = {
  name: 'native',
  async diff(aText, bText, names, options = {}) {
    // Bytes as they are: parsed from bytes, a notebook with non-ASCII text costs half the memory, and
    // the bytes are let go before the text is parsed (bytes.ts; the engine contract lets it empty them).
    let text = 0
    const parse = { consume: true, onText: (length: number) => (text = length) }
    const base = parseNotebook(aText, names.a, parse)
    afterSide(text)
    const b = parseNotebook(bText, names.b, parse)
    afterSide(text)
    return { base, ...diffNotebooksDetailed(base, b, options) }
  },
}

export function nbdimeEngine(opts: NbdiffOptions = {}): DiffEngine {
  const timeLimitMs = opts.timeoutMs ?? 120_000
  return {
    name: 'nbdime',
    timeLimitMs,
    async diff(aText, bText, names, options = {}) {
      // Parse first: bad input gets the same clear error as with the native engine, and the
      // renderers need A anyway.
      const a = asText(aText)
      const b = asText(bText)
      const base = parseNotebook(a, names.a)
      parseNotebook(b, names.b)
      try {
        const { nbdimeDiff } = await import('./nbdiff.js')
        return { base, diff: await nbdimeDiff(a, b, options, { ...opts, timeoutMs: timeLimitMs }) }
      } catch (err) {
        if ((err as { timedOut?: boolean }).timedOut) throw new DiffTimeLimitError(names.b, timeLimitMs)
        throw err
      }
    },
  }
}

/**
 * The engine asked for, or native with a plain `notice` when nbdime cannot run here. With
 * `worker`, native diffs run in a worker thread (the server); without, in process (the CLI).
 */
export async function createDiffEngine(
  name: EngineName,
  opts: NbdiffOptions & { worker?: WorkerEngineOptions } = {},
): Promise<{ engine: DiffEngine; notice: string | null }> {
  // The worker engine (the server's) is loaded only when asked for: the CLI diffs in process.
  const worker = opts.worker
  const native = async () => (worker ? (await import('./worker-engine.js')).workerEngine(worker) : nativeEngine)
  if (name === 'native') return { engine: await native(), notice: null }
  const found = await (await import('./nbdiff.js')).detectNbdime(opts)
  if (!found.available)
    return {
      engine: await native(),
      notice: `nbdime engine requested but unavailable (${found.reason}); using the native engine`,
    }
  return { engine: nbdimeEngine({ ...opts, command: found.command }), notice: null }
}
