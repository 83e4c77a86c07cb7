// The native engine as the server runs it: in a worker thread, one pair at a time. A 20,000-cell
// diff takes ~0.5 s of CPU that would otherwise stall webhook intake. The worker's small young
// generation trims its share of peak memory (bench:diff, 20,000 cells: 6.1× the files' size
// instead of 7.9× with V8's default semi-spaces). Its heap cap is a backstop, not the guard:
// V8 aborts the whole process when the cap is hit inside one big native allocation (JSON.parse,
// message deserialization), so diffs.maxNotebookBytes is what keeps pairs small enough.
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../worker-thread.js'
import { NotebookParseError, type DiffEntry } from '../notebooks/index.js'
import type { DiffJob, DiffJobResult } from './diff-worker.js'
import type { DiffEngine, NotebookDiffResult } from './engine.js'

export interface WorkerEngineOptions {
  /** Old-generation heap of the worker (default 2,048 MB; see above for why it is no guard). */
  maxHeapMb?: number
  /** Young generation of the worker (default 4 MB). */
  youngGenerationMb?: number
  /** A pair still diffing after this long is abandoned and its worker replaced (default 120 s). */
  timeoutMs?: number
}

export interface WorkerDiffEngine extends DiffEngine {
  close(): Promise<void>
}

interface Queued {
  job: Omit<DiffJob, 'id'>
  transfer: ArrayBuffer[]
  resolve: (r: NotebookDiffResult) => void
  reject: (err: Error) => void
}

function spawnDiffWorker(o: Required<WorkerEngineOptions>): Worker {
  return startModuleWorker(import.meta.url, 'diff-worker', { resourceLimits: { maxOldGenerationSizeMb: o.maxHeapMb, maxYoungGenerationSizeMb: o.youngGenerationMb } })
}
/** Bytes go to the worker without a copy when they own their buffer (the caller's view is emptied). */
function movable(x: string | Uint8Array, transfer: ArrayBuffer[]): string | Uint8Array {
  if (typeof x === 'string') return x
  const own = x.byteOffset === 0 && x.byteLength === x.buffer.byteLength && x.buffer instanceof ArrayBuffer ? x : new Uint8Array(x)
  transfer.push(own.buffer as ArrayBuffer)
  return own
}

export function workerEngine(options: WorkerEngineOptions = {}): WorkerDiffEngine {
  const o: Required<WorkerEngineOptions> = { maxHeapMb: 2048, youngGenerationMb: 4, timeoutMs: 120_000, ...options }
  const queue: Queued[] = []
  let worker: Worker | null = null
  let current: (Queued & { id: number; timer?: NodeJS.Timeout }) | null = null
  let workerReady = false
  const timeLimit = () => setTimeout(() => lose(worker!, `gave up after ${o.timeoutMs} ms`), o.timeoutMs)
  let nextId = 1
  let closed = false

  const finish = (outcome: { result?: NotebookDiffResult; error?: Error }) => {
    const job = current
    if (!job) return
    current = null
    clearTimeout(job.timer)
    if (outcome.error) job.reject(outcome.error)
    else job.resolve(outcome.result!)
    pump()
  }

  const lose = (w: Worker, why: string) => {
    if (worker !== w) return
    worker = null
    void w.terminate()
    if (current) finish({ error: new Error(`could not diff ${current.job.names.b}: ${why}`) })
  }

  const start = (): Worker => {
    const w = spawnDiffWorker(o)
    workerReady = false
    w.on('message', (r: DiffJobResult | 'ready') => {
      if (r === 'ready') {
        // The clock starts once the worker has loaded: start-up is not the pair's time.
        if (worker !== w) return
        workerReady = true
        if (current) current.timer = timeLimit()
        return
      }
      if (!current || r.id !== current.id) return
      if (r.ok) finish({ result: { base: r.base, diff: r.diff as DiffEntry[] } })
      else finish({ error: r.parse ? new NotebookParseError(r.parse.notebook, r.parse.reason) : new Error(r.message) })
    })
    w.on('error', (err: Error & { code?: string }) =>
      lose(w, err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `the diff needs more than the worker's ${o.maxHeapMb} MB heap` : `the diff worker failed (${err.message})`),
    )
    w.on('exit', (code) => lose(w, `the diff worker exited (code ${code})`))
    return w
  }

  const pump = () => {
    if (current || closed) return
    const next = queue.shift()
    if (!next) {
      worker?.unref() // an idle worker does not keep the process alive
      return
    }
    worker ??= start()
    worker.ref()
    const id = nextId++
    current = { ...next, id, timer: workerReady ? timeLimit() : undefined }
    worker.postMessage({ id, ...next.job } satisfies DiffJob, next.transfer)
  }

  return {
    name: 'native',
    diff(aText, bText, names, diffOptions = {}) {
      if (closed) return Promise.reject(new Error('the diff engine is closed'))
      const transfer: ArrayBuffer[] = []
      const job = { a: movable(aText, transfer), b: movable(bText, transfer), names, options: diffOptions }
      return new Promise<NotebookDiffResult>((resolve, reject) => {
        queue.push({ job, transfer, resolve, reject })
        pump()
      })
    },
    async close() {
      closed = true
      for (const q of queue.splice(0)) q.reject(new Error('the diff engine is closed'))
      const w = worker
      worker = null
      if (current) finish({ error: new Error('the diff engine is closed') })
      if (w) await w.terminate()
    },
  }
}
