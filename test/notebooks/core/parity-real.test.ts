/**
 * Parity on real notebooks, not generated ones:
 *  - the shared corpus (`../shared/corpus/notebooks/`): every pair against the reference diff the
 *    real nbdime 4.0.4 (or nbdime main) produced — needs no nbdime here;
 *  - the notebooks nbdime ships for its own tests, every pair of versions of the same notebook,
 *    with several ignore-flag sets, against the installed nbdime 4.0.4 run live.
 * Cell level (same cells inserted, deleted, patched) is the measure; the whole JSON diff
 * is asserted too, as a value (key order aside — see the note on `data` below).
 */
import t from 'tap'
import { diffNotebooks, parseNotebook } from '../../../src/notebooks/core/index.js'
import type { DiffEntry } from '../../../src/notebooks/core/index.js'
import {
  NOTEBOOK_CORPUS,
  hasRandomIds,
  nbdimeShippedNotebookGroups,
  notebookCorpusPairs,
} from '../../support/notebook-corpus.js'
import { cellOps, flagsToOptions, maskIds, nbdiffBatch, nbdimeVersion } from '../nbdime.js'

function ours(a: string, b: string, flags: string[] = []): DiffEntry[] | Error {
  try {
    return diffNotebooks(parseNotebook(a, 'a.ipynb'), parseNotebook(b, 'b.ipynb'), flagsToOptions(flags))
  } catch (err) {
    return err as Error
  }
}

// nbdime runs the shipped notebooks in its own process while this one checks the corpus below:
// 300-odd pairs, over a minute on a loaded machine, so more than tap's 120 s for the file.
t.setTimeout(300_000)
const version = await nbdimeVersion()
const live = version === '4.0.4' ? shippedJobs() : []
const liveRefs = live.length ? nbdiffBatch(live) : null
liveRefs?.catch(() => {}) // awaited (and its failure reported) in the test below

const corpus = notebookCorpusPairs()
if (corpus.length === 0) {
  t.test('shared notebook corpus', { skip: `no notebook pairs under ${NOTEBOOK_CORPUS}` }, async () => {})
} else {
  t.test('shared notebook corpus: Tamer against the recorded nbdime diffs', async (t) => {
    let cellAgree = 0
    let jsonAgree = 0
    const jsonOnly: string[] = []
    for (const p of corpus) {
      const got = ours(p.a, p.b)
      if (got instanceof Error) {
        t.fail(`${p.name}: the native engine threw: ${got.message}`)
        continue
      }
      const norm = (d: DiffEntry[]) => (p.randomIds ? maskIds(d) : d)
      const cells = p.refs.find((r) => JSON.stringify(cellOps(r.diff)) === JSON.stringify(cellOps(got)))
      const whole = p.refs.find((r) => JSON.stringify(canonical(norm(r.diff))) === JSON.stringify(canonical(norm(got))))
      if (cells) cellAgree++
      if (whole) jsonAgree++
      else if (cells) jsonOnly.push(p.name)
      t.ok(cells, `${p.name}: same cells inserted/deleted/patched as ${p.refs.map((r) => r.source).join(' or ')}`, {
        got: cellOps(got),
        want: p.refs.map((r) => cellOps(r.diff)),
      })
    }
    const pct = (n: number) => `${((100 * n) / corpus.length).toFixed(1)}%`
    t.comment(
      `corpus agreement: cell level ${cellAgree}/${corpus.length} (${pct(cellAgree)}), whole JSON diff ${jsonAgree}/${corpus.length} (${pct(jsonAgree)})`,
    )
    if (jsonOnly.length) t.comment(`same cells, different inner diff: ${jsonOnly.join(', ')}`)
  })
}

if (version !== '4.0.4') {
  const why = version ? `found nbdime ${version}` : 'python3 has no nbdime'
  if (process.env.CI)
    t.fail(`nbdime 4.0.4 is required for parity tests (${why}); install it with: pip install nbdime==4.0.4`)
  else t.test('nbdime-shipped notebooks', { skip: `${why} (pip install nbdime==4.0.4)` }, async () => {})
} else {
  t.test("nbdime's own test notebooks: Tamer against nbdime 4.0.4 run live", async (t) => {
    const jobs = live
    t.ok(jobs.length >= 300, `nbdime ships versions of its test notebooks (${jobs.length} ordered pairs × flag sets)`)
    const refs = (await liveRefs) as DiffEntry[][]
    let cellAgree = 0
    let exact = 0
    jobs.forEach((job, k) => {
      const ref = refs[k] as DiffEntry[]
      const got = ours(job.a, job.b, job.flags)
      if (got instanceof Error) return void t.fail(`${job.name}: the native engine threw: ${got.message}`)
      const random = hasRandomIds(job.a) || hasRandomIds(job.b)
      const norm = (d: DiffEntry[]) => (random ? maskIds(d) : d)
      if (JSON.stringify(cellOps(got)) === JSON.stringify(cellOps(ref))) cellAgree++
      if (JSON.stringify(norm(got)) === JSON.stringify(norm(ref))) exact++
      t.same(cellOps(got), cellOps(ref), `${job.name}: same cells inserted/deleted/patched`)
      t.same(canonical(norm(got)), canonical(norm(ref)), `${job.name}: same JSON diff`)
    })
    // The byte-level gap is key order only: nbdime's diff_single_outputs pops an output's `data`
    // and puts it back (last) while it compares outputs to align cells, and such an output may then
    // appear whole in an `addrange`. Tamer does not mutate its inputs; the JSON values are equal.
    t.comment(
      `nbdime's notebooks: ${cellAgree}/${jobs.length} at cell level, ${exact}/${jobs.length} byte-identical JSON`,
    )
  })
}

/** Every ordered pair of versions of a notebook nbdime ships, with no flags, then the ignore sets a
 * reviewer uses most: outputs, sources only, metadata + details. */
function shippedJobs(): { name: string; a: string; b: string; flags: string[] }[] {
  const groups = nbdimeShippedNotebookGroups()
  const jobs: { name: string; a: string; b: string; flags: string[] }[] = []
  for (const flags of [[], ['-O'], ['-s'], ['-M', '-D']])
    for (const notebooks of groups.values())
      for (const x of notebooks)
        for (const y of notebooks)
          if (x !== y)
            jobs.push({ name: `${x.name} → ${y.name} ${flags.join(' ')}`.trim(), a: x.text, b: y.text, flags })
  return jobs
}

/** Key order aside: objects with sorted keys, arrays kept in order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical)
  if (typeof v !== 'object' || v === null) return v
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
  )
}
