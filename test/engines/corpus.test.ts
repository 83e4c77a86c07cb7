// The real nbdime against the shared corpus: nbdime 4.0.4 run here reproduces the reference diffs
// (nbdime.diff.json), on a spread of pairs across the size range plus every pair with invented ids;
// the native engine is checked on all of them in test/notebooks/core/parity-real.test.ts, and
// `npm run bench:diff` runs nbdiff on every pair. One pair goes through Tamer's adapter
// (src/engines/nbdiff.ts, as the nbdime engine runs nbdiff); the others through nbdiff's own entry
// point in one Python process (nbdiffBatch): every nbdiff start costs ~3 s of CPU here (nbdime
// 4.0.4 pulls in jsonschema, which imports rfc3987_syntax), the diffs themselves far less.
// Runs where ../shared/corpus/notebooks exists and nbdime is installed; says so otherwise.
import t from 'tap'
import { nbdimeDiff } from '../../src/engines/nbdiff.js'
import { maskIds, nbdiffBatch, nbdimeVersion } from '../notebooks/nbdime.js'
import { NOTEBOOK_CORPUS, notebookCorpusPairs } from '../support/notebook-corpus.js'
import type { DiffEntry } from '../../src/notebooks/core/index.js'

// nbdime is slow on a loaded machine; the budget is generous, the pair count small.
t.setTimeout(300_000)
const version = await nbdimeVersion()
const SPREAD = 5
const withRef = notebookCorpusPairs()
  .filter((p) => p.refs.some((r) => r.source === 'nbdime.diff.json'))
  .sort((x, y) => x.a.length + x.b.length - (y.a.length + y.b.length))
// Evenly spaced by size, smallest to the 90th percentile (the largest pairs take nbdime 10+ s each).
const spread = Array.from(
  { length: SPREAD },
  (_, k) => withRef[Math.floor((k * 0.9 * (withRef.length - 1)) / (SPREAD - 1))],
)
const pairs = [...new Set([...spread, ...withRef.filter((p) => p.randomIds).slice(0, 2)])].filter(
  (p) => p !== undefined,
)

if (version !== '4.0.4') {
  const why = `nbdime 4.0.4 is not installed (${version ? `found ${version}` : 'python3 has no nbdime'})`
  if (process.env.CI) t.fail(`nbdime is required in CI for the corpus run: ${why}`)
  else t.skip(why, () => {})
} else if (pairs.length === 0) {
  t.skip(`no notebook pairs with nbdime.diff.json under ${NOTEBOOK_CORPUS}`, () => {})
} else {
  const ref = (p: (typeof pairs)[number]) => p.refs.find((r) => r.source === 'nbdime.diff.json')!.diff
  // Ids nbformat invented at random differ run to run (see the corpus MANIFEST).
  const same = (p: (typeof pairs)[number], got: DiffEntry[], how: string) =>
    t.same(p.randomIds ? maskIds(got) : got, p.randomIds ? maskIds(ref(p)) : ref(p), `${p.name} (${how})`)
  // The middle of the size spread through the adapter, beside the batch (the machines have two cores).
  const viaAdapter = spread[Math.floor(SPREAD / 2)]!
  const [adapted, batch] = await Promise.all([
    nbdimeDiff(viaAdapter.a, viaAdapter.b),
    nbdiffBatch(pairs.map((p) => ({ a: p.a, b: p.b }))),
  ])
  same(viaAdapter, adapted, "Tamer's adapter")
  pairs.forEach((p, k) => same(p, batch[k]!, 'nbdiff'))
  t.comment(`${pairs.length} of ${withRef.length} corpus pairs through nbdime: ${pairs.map((p) => p.name).join(', ')}`)
}
