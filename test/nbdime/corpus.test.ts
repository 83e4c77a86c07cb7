// The adapter against the shared corpus: for every real notebook pair, the real nbdiff run
// through the adapter reproduces the reference diff nbdime 4.0.4 produced (nbdime.diff.json).
// Runs where ../shared/corpus/notebooks exists and nbdime is installed; says so otherwise.
import t from 'tap'
import { detectNbdime, nbdimeDiff } from '../../src/nbdime/nbdiff.js'
import { maskIds } from '../notebooks/nbdime.js'
import { NOTEBOOK_CORPUS, notebookCorpusPairs } from '../support/notebook-corpus.js'

const found = await detectNbdime()
const pairs = notebookCorpusPairs().filter((p) => p.refs.some((r) => r.source === 'nbdime.diff.json'))

if (!found.available) {
  if (process.env.CI) t.fail(`nbdime is required in CI for the corpus run: ${found.reason}`)
  else t.skip(`${found.reason}`, () => {})
} else if (pairs.length === 0) {
  t.skip(`no notebook pairs with nbdime.diff.json under ${NOTEBOOK_CORPUS}`, () => {})
} else {
  // Two at a time: the machines have two cores.
  for (let k = 0; k < pairs.length; k += 2) {
    await Promise.all(pairs.slice(k, k + 2).map(async (p) => {
      const got = await nbdimeDiff(p.a, p.b)
      const ref = p.refs.find((r) => r.source === 'nbdime.diff.json')!.diff
      // Ids nbformat invented at random differ run to run (see the corpus MANIFEST).
      t.same(p.randomIds ? maskIds(got) : got, p.randomIds ? maskIds(ref) : ref, p.name)
    }))
  }
  t.comment(`${pairs.length} corpus pairs through the adapter`)
}
