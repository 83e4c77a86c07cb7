// The native engine as the server runs it: in worker threads, one pair at a time each. A
// 20,000-cell diff takes ~0.5 s of CPU that would otherwise stall webhook intake. A pair over the
// time limit has its worker terminated (V8 stops even a tight loop) and fails with
// DiffTimeLimitError; the next pair gets a fresh worker. The worker's small young
// generation trims its share of peak memory (bench:diff, 20,000 cells: 6.1× the files' size
// instead of 7.9× with V8's default semi-spaces). Its heap cap is a backstop, not the guard:
// V8 aborts the whole process when the cap is hit inside one big native allocation (JSON.parse,
// message deserialization), so diffs.maxNotebookBytes is what keeps pairs small enough.
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../worker-thread.js'
import { NotebookParseError, type DiffEntry } from '../notebooks/core/index.js'
import type { DiffJob, DiffJobResult } from './diff-worker.js'
import type { DiffEngine, NotebookDiffResult } from './types.js'
import { DiffTimeLimitError } from './time-limit.js'

export interface WorkerEngineOptions {
  /** Old-generation heap of each worker (default 2,048 MB; see above for why it is no guard). */
  maxHeapMb?: number
  /** Young generation of each worker (default 4 MB). */
  youngGenerationMb?: number
  /** A pair still diffing after this long fails with DiffTimeLimitError and its worker is replaced (default 20 s). */
  timeoutMs?: number
  /** Worker threads (default 1), started when first needed; further pairs wait their turn, first come first served. */
  workers?: number
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

/** One worker thread and the pair it is diffing. */
interface Slot {
  worker: Worker | null
  ready: boolean
  current: (Queued & { id: number; timer?: NodeJS.Timeout }) | null
}

function spawnDiffWorker(o: Required<WorkerEngineOptions>): Worker {
  return startModuleWorker(import.meta.url, 'diff-worker', {
    resourceLimits: { maxOldGenerationSizeMb: o.maxHeapMb, maxYoungGenerationSizeMb: o.youngGenerationMb },
  })
}
/** Bytes go to the worker without a copy when they own their buffer (the caller's view is emptied). */
function movable(x: string | Uint8Array, transfer: ArrayBuffer[]): string | Uint8Array {
  if (typeof x === 'string') return x
  const own =
    x.byteOffset === 0 && x.byteLength === x.buffer.byteLength && x.buffer instanceof ArrayBuffer
      ? x
      : new Uint8Array(x)
  transfer.push(own.buffer as ArrayBuffer)
  return own
}

export function workerEngine(options: WorkerEngineOptions = {}): WorkerDiffEngine {
  const o: Required<WorkerEngineOptions> = {
    maxHeapMb: 2048,
    youngGenerationMb: 4,
    timeoutMs: 20_000,
    workers: 1,
    ...options,
  }
  const queue: Queued[] = []
  const slots: Slot[] = Array.from({ length: Math.max(1, o.workers) }, () => ({
    worker: null,
    ready: false,
    current: null,
  }))
  let nextId = 1
  let closed = false

  const timeLimit = (slot: Slot) =>
    setTimeout(() => {
      const name = slot.current?.job.names.b ?? ''
      lose(slot, slot.worker!, new DiffTimeLimitError(name, o.timeoutMs))
    }, o.timeoutMs)

  const finish = (slot: Slot, outcome: { result?: NotebookDiffResult; error?: Error }) => {
    const job = slot.current
    if (!job) return
    slot.current = null
    clearTimeout(job.timer)
    if (outcome.error) job.reject(outcome.error)
    else job.resolve(outcome.result!)
    pump()
  }

  const lose = (slot: Slot, w: Worker, why: string | Error) => {
    if (slot.worker !== w) return
    slot.worker = null
    void w.terminate()
    if (slot.current)
      finish(slot, {
        error: typeof why === 'string' ? new Error(`could not diff ${slot.current.job.names.b}: ${why}`) : why,
      })
  }

  const start = (slot: Slot): Worker => {
    const w = spawnDiffWorker(o)
    slot.ready = false
    w.on('message', (r: DiffJobResult | 'ready') => {
      if (slot.worker !== w) return
      if (r === 'ready') {
        // The clock starts once the worker has loaded: start-up is not the pair's time.
        slot.ready = true
        if (slot.current) slot.current.timer = timeLimit(slot)
        return
      }
      if (!slot.current || r.id !== slot.current.id) return
      if (r.ok) finish(slot, { result: { base: r.base, diff: r.diff as DiffEntry[], degraded: r.degraded } })
      else
        finish(slot, {
          error: r.parse ? new NotebookParseError(r.parse.notebook, r.parse.reason) : new Error(r.message),
        })
    })
    w.on('error', (err: Error & { code?: string }) =>
      lose(
        slot,
        w,
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the diff needs more than the worker's ${o.maxHeapMb} MB heap`
          : `the diff worker failed (${err.message})`,
      ),
    )
    w.on('exit', (code) => lose(slot, w, `the diff worker exited (code ${code})`))
    return w
  }

  const pump = () => {
    if (closed) return
    for (const slot of slots) {
      if (slot.current) continue
      const next = queue.shift()
      if (!next) {
        slot.worker?.unref() // an idle worker does not keep the process alive
        continue
      }
      slot.worker ??= start(slot)
      slot.worker.ref()
      const id = nextId++
      slot.current = { ...next, id }
      if (slot.ready) slot.current.timer = timeLimit(slot)
      slot.worker.postMessage({ id, ...next.job } satisfies DiffJob, next.transfer)
    }
  }

  return {
    name: 'native',
    timeLimitMs: o.timeoutMs,
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
      const workers: Worker[] = []
      for (const slot of slots) {
        if (slot.worker) workers.push(slot.worker)
        slot.worker = null
        if (slot.current) finish(slot, { error: new Error('the diff engine is closed') })
      }
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
