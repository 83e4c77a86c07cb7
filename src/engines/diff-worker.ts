// The native engine's worker thread: decode, parse and diff one pair at a time, off the event
// loop that answers webhooks, in a heap of its own (see worker-engine.ts).
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parentPort } from 'node:worker_threads'
import {
  diffNotebooksDetailed,
  NotebookParseError,
  parseNotebook,
  type DiffDegradation,
  type DiffOptions,
  type Notebook,
} from '../notebooks/core/index.js'

export interface DiffJob {
  id: number
  a: Uint8Array | string
  b: Uint8Array | string
  names: { a: string; b: string }
  options: DiffOptions
}

export type DiffJobResult =
  | { id: number; ok: true; base: Notebook; diff: unknown[]; degraded: DiffDegradation[] }
  | { id: number; ok: false; parse?: { notebook: string; reason: string }; message: string }

// Full collections between parse, diff and reply: otherwise one side's text and raw JSON tree are
// still in the heap when the next is parsed (bench:diff, 20,000 cells: served peak 6.2× → ~3.5×
// the files). The flag is process-wide; this is the one place that calls gc.
setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void
// Only for a pair of 1 MB or more (A + B; bench:diff's pairs all are): each full collection costs the same
// whatever the pair (~0.1 s here), and a small pair's garbage makes no peak. Three per small pair were
// ~300 ms of a 1-20 ms diff, most of the worker's CPU (test/engines/worker-engine.test.ts).
const COLLECT_FROM_BYTES = 1024 * 1024
const size = (x: Uint8Array | string) => (typeof x === 'string' ? x.length : x.byteLength)

parentPort?.on('message', (job: DiffJob) => {
  let reply: DiffJobResult
  const gc = size(job.a) + size(job.b) >= COLLECT_FROM_BYTES ? collect : () => {}
  try {
    // One side's bytes at a time, freed once their text is made (bytes, not decoded text: a
    // notebook with non-ASCII text parses in half the memory, bytes.ts).
    const base = parseNotebook(job.a, job.names.a, { consume: true })
    job.a = ''
    gc()
    let b: Notebook | null = parseNotebook(job.b, job.names.b, { consume: true })
    job.b = ''
    gc()
    const { diff, degraded } = diffNotebooksDetailed(base, b, job.options)
    b = null
    gc()
    reply = { id: job.id, ok: true, base, diff, degraded }
  } catch (err) {
    reply =
      err instanceof NotebookParseError
        ? { id: job.id, ok: false, parse: { notebook: err.notebook, reason: err.reason }, message: err.message }
        : { id: job.id, ok: false, message: (err as Error).message ?? String(err) }
  }
  parentPort!.postMessage(reply)
})
parentPort?.postMessage('ready')
