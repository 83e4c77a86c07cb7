// The in-process native engine (`tamer diff`'s): it frees a notebook's bytes once parsed when they
// own their memory (the engine contract lets it empty the caller's buffer), and leaves a slice of
// Node's shared buffer pool alone, whose neighbours belong to others.
import t from 'tap'
import { nativeEngine } from '../../src/engines/engine.js'

const names = { a: 'a.ipynb', b: 'b.ipynb' }
/** `cells` markdown cells, the last one saying `text`. */
const notebook = (text: string, cells: number) =>
  JSON.stringify({
    cells: Array.from({ length: cells }, (_, k) => ({
      cell_type: 'markdown',
      metadata: {},
      source: k === cells - 1 ? text : `café ≥ ${k}\n`.repeat(500),
    })),
    metadata: {},
    nbformat: 4,
    nbformat_minor: 4,
  })
// ArrayBuffer#transfer: Node 22 and later (the supported versions); Node 20 keeps the bytes.
const canRelease = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'

t.test('bytes that own their buffer are emptied once parsed, and the diff is the same', async (t) => {
  const a = notebook('one', 4)
  const b = notebook('two', 4)
  const want = await nativeEngine.diff(a, b, names)
  // As `tamer diff` reads a file: bytes in a buffer of their own.
  const bytesA = new TextEncoder().encode(a)
  const bytesB = new TextEncoder().encode(b)
  t.equal(bytesA.byteLength, bytesA.buffer.byteLength, 'a buffer of its own')
  const got = await nativeEngine.diff(bytesA, bytesB, names)
  t.same(got, want)
  if (canRelease) {
    t.equal(bytesA.byteLength, 0, "A's bytes released")
    t.equal(bytesB.byteLength, 0, "B's bytes released")
  }
})

t.test('a slice of the shared pool is left as it is', async (t) => {
  const a = notebook('x', 1)
  const b = notebook('y', 1)
  const bytesA = Buffer.from(a)
  const neighbour = Buffer.from('neighbour')
  t.not(bytesA.byteLength, bytesA.buffer.byteLength, 'from the pool')
  const got = await nativeEngine.diff(bytesA, Buffer.from(b), names)
  t.same(got, await nativeEngine.diff(a, b, names))
  t.equal(bytesA.toString(), a, 'untouched')
  t.equal(neighbour.toString(), 'neighbour', 'the pool is still whole')
})

t.test(
  'a one-shot diff (tuneForOneDiff) collects garbage after a side whose JSON text is 1 MB or more, not after a smaller one',
  async (t) => {
    const { constants, PerformanceObserver } = await import('node:perf_hooks')
    const { tuneForOneDiff } = await import('../../src/engines/engine.js')
    // Forced full collections (gc(), not V8's own) seen while `run` diffs.
    const forced = async (run: () => Promise<unknown>) => {
      let n = 0
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const d = (e as { detail?: { kind: number; flags: number } }).detail
          const major = d?.kind === constants.NODE_PERFORMANCE_GC_MAJOR
          if (major && d!.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) n++
        }
      })
      obs.observe({ entryTypes: ['gc'] })
      await run()
      await new Promise((r) => setTimeout(r, 50))
      obs.disconnect()
      return n
    }
    // Four cells, three of ~400 KB, each of its own letter (unlike cells: the diff is quick), the last saying
    // `text`: as 4,000 short lines each (all in the JSON text), or as one long string (taken out of it, bytes.ts).
    const big = (text: string, lines = true) =>
      new TextEncoder().encode(
        JSON.stringify({
          cells: Array.from({ length: 4 }, (_, k) => {
            const line = `${String.fromCharCode(97 + k).repeat(99)}\n`
            return {
              cell_type: 'markdown',
              metadata: {},
              source: k === 3 ? text : lines ? Array<string>(4000).fill(line) : line.repeat(4000),
            }
          }),
          metadata: {},
          nbformat: 4,
          nbformat_minor: 4,
        }),
      )
    t.ok(big('x').byteLength >= 1_000_000 && big('x', false).byteLength >= 1_000_000, 'sides over 1 MB')
    const want = await nativeEngine.diff(big('one'), big('two'), names)
    const smallWant = await nativeEngine.diff(notebook('one', 4), notebook('two', 4), names)
    tuneForOneDiff()
    let got: unknown
    t.equal(
      await forced(async () => (got = await nativeEngine.diff(big('one'), big('two'), names))),
      2,
      'one per big side',
    )
    t.same(got, want, 'the same diff')
    t.equal(
      await forced(async () => (got = await nativeEngine.diff(big('one', false), big('two', false), names))),
      0,
      'none where the long strings leave a small text',
    )
    t.same(got, want, 'the same diff')
    t.equal(
      await forced(() => nativeEngine.diff(notebook('one', 4), notebook('two', 4), names)),
      0,
      'none for small sides',
    )
    t.same(await nativeEngine.diff(notebook('one', 4), notebook('two', 4), names), smallWant)
  },
)
