/**
 * The notebook pairs of `npm run bench:diff`: generated large pairs (5 % of cells edited, inserted
 * or deleted) and the real pairs of the shared corpus (../shared/corpus/notebooks, listed in its
 * manifest) that issue #12 measures: every real pair of 1 MB or more (A + B). Imports nothing of
 * the other bench files.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NOTEBOOK_CORPUS } from '../test/support/notebook-corpus.js'

/** `minor`: nbformat_minor (default 5 with ids, 4 without; 5 without ids makes the reader invent them). */
export function largePair(
  cells: number,
  opts: { ids?: boolean; pngEvery?: number; seed?: number; minor?: number } = {},
): [string, string] {
  const ids = opts.ids ?? true
  let s = (opts.seed ?? 1) >>> 0
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
  const int = (n: number) => Math.floor(rnd() * n)
  const words = ['alpha', 'beta', 'gamma', 'delta', 'loss', 'model', 'data', 'plot', 'train', 'x', 'y']
  const line = () =>
    `${words[int(words.length)]}_${int(1000)} = ${words[int(words.length)]}(${int(100)}, ${int(100)})\n`
  let n = 0
  const cell = () => {
    const id = ids ? { id: `cell-${n++}` } : {}
    if (rnd() < 0.3) return { cell_type: 'markdown', ...id, metadata: {}, source: [`## Section ${int(1e6)}\n`, line()] }
    const outputs: unknown[] = [{ name: 'stdout', output_type: 'stream', text: [line(), line()] }]
    if (opts.pngEvery && int(opts.pngEvery) === 0) {
      const bytes = Buffer.alloc(75_000)
      for (let k = 0; k < bytes.length; k += 4) bytes.writeUInt32LE((rnd() * 2 ** 32) >>> 0, k)
      outputs.push({
        data: { 'image/png': bytes.toString('base64'), 'text/plain': ['<Figure>'] },
        metadata: {},
        output_type: 'display_data',
      })
    }
    return {
      cell_type: 'code',
      execution_count: int(500),
      ...id,
      metadata: {},
      outputs,
      source: Array.from({ length: 2 + int(4) }, line),
    }
  }
  const a = Array.from({ length: cells }, cell)
  const b = a.map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>)
  for (let e = 0; e < Math.ceil(cells * 0.05); e++) {
    const k = int(3)
    const i = int(b.length)
    if (k === 0) b.splice(i, 0, cell())
    else if (k === 1) b.splice(i, 1)
    else {
      const c = b[i] as { source: string[] }
      c.source = [...c.source.slice(0, -1), line()]
    }
  }
  const nb = (cs: unknown[]) =>
    JSON.stringify({ cells: cs, metadata: {}, nbformat: 4, nbformat_minor: opts.minor ?? (ids ? 5 : 4) }, null, 1)
  return [nb(a), nb(b)]
}

export interface RealPair {
  name: string
  a: string
  b: string
  /** Bytes of A + B. */
  bytes: number
}

/**
 * The corpus' real pairs (from public git histories: every case whose name does not start with
 * `synthetic-`) of at least `minBytes` together, smallest first.
 */
export function realPairs(minBytes = 1_000_000, root = NOTEBOOK_CORPUS): RealPair[] {
  if (!existsSync(root)) return []
  const out: RealPair[] = []
  for (const name of readdirSync(root)) {
    const a = join(root, name, 'a.ipynb')
    const b = join(root, name, 'b.ipynb')
    if (name.startsWith('synthetic-') || !existsSync(a) || !existsSync(b)) continue
    const bytes = statSync(a).size + statSync(b).size
    if (bytes >= minBytes) out.push({ name, a, b, bytes })
  }
  return out.sort((x, y) => x.bytes - y.bytes)
}
