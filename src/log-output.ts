// Where log lines go. Logging must never stop the service: lines reach stdout through
// asynchronous writes, are held up to a bound while stdout takes nothing (a pipe nobody reads),
// and are dropped past that bound or when a write fails (a full disk). pino's own stdout
// destination (sonic-boom 4.2) holds without bound, and its exit flush retries a failing write
// forever, even ENOSPC (sonic-boom/index.js, flushSync: `sleep(BUSY_WRITE_TIMEOUT)` in a loop):
// with stdout on a full volume the first log line crashed Tamer into that loop (issue #9, item 6).
import { write, writeSync } from 'node:fs'
import type { DestinationStream } from 'pino'

export interface LogSink extends DestinationStream {
  /** Lines dropped so far because stdout did not take them. */
  readonly dropped: number
  /** At exit: one synchronous try per held chunk, stopping at the first failure; never a wait. */
  flushSync(): void
}

const CHUNK_BYTES = 64 * 1024
const RETRY_MS = 50
/** How long a line may wait for others to share its write. */
const LINGER_MS = 20

export function nonBlockingSink(fd: number, maxHeldBytes = 16 * 1024 * 1024): LogSink {
  // A pipe on fd 1 is blocking until Node opens it as process.stdout (libuv's uv_pipe_open sets
  // O_NONBLOCK); then a full pipe answers EAGAIN instead of blocking the exit flush forever.
  if (fd === 1) void process.stdout
  let held: string[] = []
  let heldBytes = 0
  let dropped = 0
  /** The chunk being written; `waiting` while it waits to retry after EAGAIN (nothing in the kernel then). */
  let chunk: { data: Buffer; lines: number; waiting: boolean } | null = null

  let scheduled = false
  const writeHeld = () => {
    scheduled = false
    next()
  }

  const drop = (lines: number, bytes: number) => {
    dropped += lines
    heldBytes -= bytes
  }

  const next = () => {
    if (chunk || held.length === 0) return
    let take = 0
    let size = 0
    while (take < held.length && (take === 0 || size + held[take]!.length <= CHUNK_BYTES)) size += held[take++]!.length
    const lines = held.splice(0, take)
    chunk = { data: Buffer.from(lines.join('')), lines: lines.length, waiting: false }
    send()
  }

  const send = () => {
    const current = chunk!
    current.waiting = false
    write(fd, current.data, (err, n) => {
      if (err) {
        if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') {
          current.waiting = true
          setTimeout(send, RETRY_MS).unref()
          return
        }
        // ENOSPC, EPIPE, EIO: this chunk is lost; the held lines are tried next.
        drop(current.lines, current.data.length)
        chunk = null
        return next()
      }
      heldBytes -= n
      if (n < current.data.length) {
        current.data = current.data.subarray(n)
        return send()
      }
      chunk = null
      next()
    })
  }

  const sink: LogSink = {
    get dropped() {
      return dropped
    },
    write(line: string) {
      const bytes = Buffer.byteLength(line)
      if (heldBytes + bytes > maxHeldBytes) {
        dropped++
        return
      }
      held.push(line)
      heldBytes += bytes
      // Lines go out together, LINGER_MS after the first (or at CHUNK_BYTES): a write per line woke a
      // thread-pool thread per delivery, ~4 % of the event loop at 200 deliveries/s on 2 busy cores (issue #12).
      if (chunk) return
      if (heldBytes >= CHUNK_BYTES) return next()
      if (!scheduled) {
        scheduled = true
        setTimeout(writeHeld, LINGER_MS).unref()
      }
    },
    flushSync() {
      const pending = [...(chunk?.waiting ? [chunk.data] : []), ...held.map((l) => Buffer.from(l))]
      held = []
      try {
        for (const data of pending) {
          let off = 0
          while (off < data.length) off += writeSync(fd, data, off)
        }
      } catch {
        // stdout takes nothing more: what is left is dropped.
      }
    },
  }
  return sink
}

let stdoutSink: LogSink | null = null

/** The process's one stdout sink, flushed (best effort) when the process exits. */
export function stdoutLogSink(): LogSink {
  if (!stdoutSink) {
    const sink = nonBlockingSink(1)
    process.once('exit', () => sink.flushSync())
    stdoutSink = sink
  }
  return stdoutSink
}
