/**
 * Parity with the real nbdime 4.0.4: every generated pair is diffed by nbdime's `nbdiff --out` (its
 * CLI entry point, all pairs in one Python process) and by Tamer, and the JSON must be equal. CI
 * installs nbdime (`pip install nbdime==4.0.4`); without it this test fails under CI and is skipped elsewhere.
 */
import t from 'tap'
import { diffNotebooks, parseNotebook } from '../../../src/notebooks/core/index.js'
import type { DiffEntry } from '../../../src/notebooks/core/index.js'
import { type Pair, randomPairs, scenarios } from '../fixtures.js'
import { nbdimeDiff } from '../../../src/engines/nbdiff.js'
import { cellOps, flagsToOptions, maskIds, nbdiffBatch, nbdimeVersion } from '../nbdime.js'

// Four nbdime processes (~3 s of CPU each to start) and 107 pairs: a loaded machine needs more than tap's 120 s.
t.setTimeout(300_000)
const version = await nbdimeVersion()
if (version !== '4.0.4') {
  const why = version ? `found nbdime ${version}` : 'python3 has no nbdime'
  if (process.env.CI)
    t.fail(`nbdime 4.0.4 is required for parity tests (${why}); install it with: pip install nbdime==4.0.4`)
  else t.test('parity with nbdime', { skip: `${why} (pip install nbdime==4.0.4)` }, async () => {})
} else {
  const text = (x: Pair['a']) => (typeof x === 'string' ? x : JSON.stringify(x, null, 1) + '\n')
  const ours = (p: Pair, a: string, b: string): DiffEntry[] =>
    diffNotebooks(parseNotebook(a, 'a.ipynb'), parseNotebook(b, 'b.ipynb'), flagsToOptions(p.flags ?? []))

  const pairs = [...scenarios(), ...randomPairs(60, 1)]
  // The real executable through Tamer's adapter (src/engines/nbdiff.ts, as the nbdime engine runs
  // it) on the pairs where the adapter itself could differ from the batch: characters beyond the BMP
  // through its files, an ignore flag through its option mapping, a v3 notebook as it reads it. Same
  // answer as the batch, so the adapter too agrees with the native engine on these
  // (test/engines/nbdiff.test.ts runs more through it). Each nbdiff start costs ~3 s of CPU here;
  // they run beside the batch.
  const viaCli = ['unicode-astral', 'flags[-O]', 'v3-vs-v4.4'].map((name) => pairs.find((x) => x.name === name)!)
  const [batch, adapted] = await Promise.all([
    nbdiffBatch(pairs.map((p) => ({ a: text(p.a), b: text(p.b), flags: p.flags ?? [] }))),
    Promise.all(viaCli.map((p) => nbdimeDiff(text(p.a), text(p.b), flagsToOptions(p.flags ?? [])))),
  ])
  const refs = new Map<string, DiffEntry[]>()
  pairs.forEach((p, k) => refs.set(p.name, batch[k] as DiffEntry[]))
  viaCli.forEach((p, k) =>
    t.same(adapted[k], refs.get(p.name), `${p.name}: nbdiff through the adapter agrees with the batch run`),
  )

  let exact = 0
  let cellLevel = 0
  for (const p of pairs) {
    const a = text(p.a)
    const b = text(p.b)
    const ref = refs.get(p.name) as DiffEntry[]
    const got = ours(p, a, b)
    const norm = (d: DiffEntry[]) => (p.randomIds ? maskIds(d) : d)
    if (JSON.stringify(norm(got)) === JSON.stringify(norm(ref))) exact++
    if (JSON.stringify(cellOps(got)) === JSON.stringify(cellOps(ref))) cellLevel++
    t.same(cellOps(got), cellOps(ref), `${p.name}: same cells inserted/deleted/patched`)
    t.same(norm(got), norm(ref), `${p.name}: same JSON diff as nbdime`)
  }
  t.comment(`parity: ${exact}/${pairs.length} exact, ${cellLevel}/${pairs.length} at cell level`)
}
