/**
 * `npm run bench:diff`: Tamer's native engine against the real nbdime on the corpus pairs (when
 * ../shared/corpus/notebooks exists) and on generated large pairs. Prints wall time of both, the
 * ratio and Tamer's peak memory. Not a test: figures go in the issue's closing note.
 *
 * Native: parse + diff inside a fresh child process (the service's cost; peak RSS is the child's).
 * nbdime: the whole `nbdiff --out` process through the adapter, start-up (~0.25 s) included, as
 * a deployment with `engine: nbdime` would pay it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execa } from 'execa'
import { detectNbdime, nbdimeDiff } from '../src/engines/nbdiff.js'
import { notebookCorpusPairs } from '../test/support/notebook-corpus.js'
import { largePair } from './diff.js'

interface Case {
  name: string
  texts: () => [string, string]
}

const HERE = fileURLToPath(new URL('.', import.meta.url))
const mb = (x: number) => `${(x / 2 ** 20).toFixed(1)} MB`
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`

/**
 * Native parse + diff of the pair in a fresh process; peakRss minus the process's RSS before the
 * pair was read. In process (the pure core, as the CLI runs it) or `worker` (as the server runs
 * it: bytes handed to the worker engine, measured over a warmed-up worker).
 */
async function nativeChild(
  a: string,
  b: string,
  worker = false,
): Promise<{ ms: number; peakRss: number; overBase: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-'))
  try {
    writeFileSync(join(dir, 'a.ipynb'), a)
    writeFileSync(join(dir, 'b.ipynb'), b)
    const args = [
      join(HERE, 'diff.ts'),
      '0',
      '--files',
      join(dir, 'a.ipynb'),
      join(dir, 'b.ipynb'),
      '--json',
      ...(worker ? ['--worker'] : []),
    ]
    const r = await execa(process.execPath, [...process.execArgv, ...args])
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      parseMs: number
      diffMs: number
      peakRss: number
      baseRss: number
    }
    return { ms: j.parseMs + j.diffMs, peakRss: j.peakRss, overBase: j.peakRss - j.baseRss }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function corpusCases(): Case[] {
  return notebookCorpusPairs().map((p) => ({ name: `corpus ${p.name}`, texts: () => [p.a, p.b] as [string, string] }))
}

export async function compareEngines(argv: string[]): Promise<void> {
  const skipSlow = argv.includes('--skip-slow') || process.env['BENCH_SKIP_SLOW'] === '1'
  const at = argv.indexOf('--nbdime-timeout')
  const timeoutS =
    at >= 0 ? Number(argv[at + 1]) : Number(process.env['BENCH_NBDIME_TIMEOUT'] ?? (skipSlow ? 60 : 1800))
  const found = argv.includes('--no-nbdime') ? null : await detectNbdime()
  console.log(
    `nbdime: ${found ? (found.available ? `nbdiff ${found.version}, timeout ${timeoutS} s` : `absent (${found.reason})`) : 'skipped (--no-nbdime)'}`,
  )

  const large = (cells: number, ids: boolean, png: number): Case => ({
    name: `${cells} cells, ${ids ? 'ids' : 'no ids'}${png ? `, ${100 / png} % ~100 KB PNG` : ''}`,
    texts: () => largePair(cells, { ids, pngEvery: png }),
  })
  const cases = [
    ...corpusCases(),
    large(2000, true, 10),
    large(2000, false, 10),
    large(20000, true, 0),
    large(20000, false, 0),
    {
      // nbformat 4.5 without ids: the reader invents one per cell (nbformat does so at random).
      name: '20000 cells, v4.5 without ids',
      texts: () => largePair(20000, { ids: false, minor: 5 }),
    },
  ]

  const rows: string[][] = [
    [
      'pair',
      'files (A+B)',
      'Tamer native',
      'nbdime 4.0.4',
      'ratio',
      'Tamer peak RSS (over start-up)',
      '÷ files',
      'served (worker): time',
      'served: RSS over start-up ÷ files',
    ],
  ]
  for (const c of cases) {
    const [a, b] = c.texts()
    const files = a.length + b.length
    const native = await nativeChild(a, b)
    const served = await nativeChild(a, b, true)
    let nb = '—'
    let ratio = '—'
    if (found?.available) {
      const t0 = performance.now()
      try {
        await nbdimeDiff(a, b, {}, { timeoutMs: timeoutS * 1000 })
        const ms = performance.now() - t0
        nb = secs(ms)
        ratio = `${(ms / native.ms).toFixed(0)}×`
      } catch (err) {
        const timedOut = /timed out/.test((err as Error).message)
        nb = timedOut ? `> ${timeoutS} s` : `failed: ${(err as Error).message.slice(0, 60)}`
        ratio = timedOut ? `> ${((timeoutS * 1000) / native.ms).toFixed(0)}×` : '—'
      }
    }
    const rss = `${mb(native.peakRss)} (${mb(native.overBase)})`
    const rssRatio = `${(native.overBase / files).toFixed(1)}×`
    rows.push([
      c.name,
      mb(files),
      secs(native.ms),
      nb,
      ratio,
      rss,
      rssRatio,
      secs(served.ms),
      `${(served.overBase / files).toFixed(1)}×`,
    ])
    console.log(rows[rows.length - 1]!.join(' | '))
  }
  console.log('\n| ' + rows[0]!.join(' | ') + ' |\n|' + rows[0]!.map(() => '---').join('|') + '|')
  for (const r of rows.slice(1)) console.log('| ' + r.join(' | ') + ' |')
}
