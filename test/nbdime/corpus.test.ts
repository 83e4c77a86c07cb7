// The adapter against the shared corpus: for every real notebook pair, the real nbdiff run
// through the adapter reproduces the reference diff nbdime 4.0.4 produced (nbdime.diff.json).
// Runs where ../shared/corpus/notebooks exists and nbdime is installed; says so otherwise.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { detectNbdime, nbdimeDiff } from '../../src/nbdime/nbdiff.js'
import { maskIds } from '../notebooks/nbdime.js'

const corpus = fileURLToPath(new URL('../../../shared/corpus/notebooks/', import.meta.url))
const found = await detectNbdime()

if (!found.available) {
  if (process.env.CI) t.fail(`nbdime is required in CI for the corpus run: ${found.reason}`)
  else t.skip(`${found.reason}`, () => {})
} else if (!existsSync(corpus)) {
  t.skip(`no corpus at ${corpus}`, () => {})
} else {
  const dirs = (await readdir(corpus, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => `${corpus}${e.name}/`)
  const pairs = dirs.filter((d) => existsSync(`${d}a.ipynb`) && existsSync(`${d}b.ipynb`) && existsSync(`${d}nbdime.diff.json`))
  // Two at a time: the machines have two cores.
  for (let k = 0; k < pairs.length; k += 2) {
    await Promise.all(pairs.slice(k, k + 2).map(async (dir) => {
      const [a, b, ref] = await Promise.all(['a.ipynb', 'b.ipynb', 'nbdime.diff.json'].map((f) => readFile(dir + f, 'utf8')))
      const got = await nbdimeDiff(a!, b!)
      // Ids nbformat invented at random differ run to run (see the corpus MANIFEST).
      t.same(maskIds(got), maskIds(JSON.parse(ref!)), dir.split('/').slice(-2, -1)[0]!)
    }))
  }
  t.comment(`${pairs.length} corpus pairs through the adapter`)
}
