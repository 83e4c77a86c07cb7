// The adapter against the shared corpus: the real nbdiff run through the adapter reproduces the
// reference diff nbdime 4.0.4 produced (nbdime.diff.json). Every nbdiff start costs ~2 s of CPU
// here (nbdime 4.0.4 pulls in jsonschema, which imports rfc3987_syntax), so the test takes a spread
// of pairs across the size range plus every pair with invented ids; the native engine is checked on all of them in
// test/notebooks/core/parity-real.test.ts, and `npm run bench:diff` runs nbdiff on every pair.
// Runs where ../shared/corpus/notebooks exists and nbdime is installed; says so otherwise.
import t from 'tap'
import { detectNbdime, nbdimeDiff } from '../../src/engines/nbdiff.js'
import { maskIds } from '../notebooks/nbdime.js'
import { NOTEBOOK_CORPUS, notebookCorpusPairs } from '../support/notebook-corpus.js'

// nbdiff processes are slow to start on a loaded machine; the budget is generous, the pair count small.
t.setTimeout(300_000)
const found = await detectNbdime()
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

if (!found.available) {
  if (process.env.CI) t.fail(`nbdime is required in CI for the corpus run: ${found.reason}`)
  else t.skip(`${found.reason}`, () => {})
} else if (pairs.length === 0) {
  t.skip(`no notebook pairs with nbdime.diff.json under ${NOTEBOOK_CORPUS}`, () => {})
} else {
  // Two at a time: the machines have two cores.
  for (let k = 0; k < pairs.length; k += 2) {
    await Promise.all(
      pairs.slice(k, k + 2).map(async (p) => {
        const got = await nbdimeDiff(p.a, p.b)
        const ref = p.refs.find((r) => r.source === 'nbdime.diff.json')!.diff
        // Ids nbformat invented at random differ run to run (see the corpus MANIFEST).
        t.same(p.randomIds ? maskIds(got) : got, p.randomIds ? maskIds(ref) : ref, p.name)
      }),
    )
  }
  t.comment(
    `${pairs.length} of ${withRef.length} corpus pairs through the adapter: ${pairs.map((p) => p.name).join(', ')}`,
  )
}
