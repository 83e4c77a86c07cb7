// Real notebook pairs for the parity tests: the shared corpus (pairs with the diffs the real
// nbdime produced) and the notebooks nbdime itself ships for its own tests.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DiffEntry } from '../../src/notebooks/core/index.js'

/** TAMER_TEST_NOTEBOOK_CORPUS points elsewhere to try the corpus tests on another copy. */
export const NOTEBOOK_CORPUS =
  process.env.TAMER_TEST_NOTEBOOK_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/notebooks/', import.meta.url))

export interface CorpusPair {
  /** The pair's folder, relative to the corpus root. */
  name: string
  a: string
  b: string
  /** nbdime 4.0.4's diff, then (where it differs) nbdime main's: matching either is agreement. */
  refs: { source: string; diff: DiffEntry[] }[]
  /** nbformat filled missing cell ids at random when the reference was made: ids are masked. */
  randomIds: boolean
}

/** Every folder under `root` holding a.ipynb, b.ipynb and at least one reference diff. */
export function notebookCorpusPairs(root = NOTEBOOK_CORPUS): CorpusPair[] {
  const manifest = existsSync(join(root, 'MANIFEST.md')) ? readFileSync(join(root, 'MANIFEST.md'), 'utf8') : ''
  const pairs: CorpusPair[] = []
  const walk = (dir: string, rel: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue
      const path = join(dir, entry.name)
      const name = rel ? `${rel}/${entry.name}` : entry.name
      const refs = ['nbdime.diff.json', 'nbdime-main.diff.json']
        .filter((f) => existsSync(join(path, f)))
        .map((f) => ({ source: f, diff: JSON.parse(readFileSync(join(path, f), 'utf8')) as DiffEntry[] }))
      if (refs.length && existsSync(join(path, 'a.ipynb')) && existsSync(join(path, 'b.ipynb'))) {
        const a = readFileSync(join(path, 'a.ipynb'), 'utf8')
        const b = readFileSync(join(path, 'b.ipynb'), 'utf8')
        pairs.push({
          name,
          a,
          b,
          refs,
          randomIds: flaggedUnrepeatable(manifest, entry.name) || hasRandomIds(a) || hasRandomIds(b),
        })
      } else walk(path, name)
    }
  }
  if (existsSync(root)) walk(root, '')
  return pairs.sort((x, y) => x.name.localeCompare(y.name))
}

/** The MANIFEST flags pairs whose reference is not repeatable on a line naming the pair. */
function flaggedUnrepeatable(manifest: string, name: string): boolean {
  return manifest.split('\n').some((line) => line.includes(name) && /repeatab|random|determinis/i.test(line))
}

/** nbformat invents random ids for v3 notebooks and for ≥4.5 cells without (unique) ids. */
export function hasRandomIds(text: string): boolean {
  let nb: { nbformat?: number; nbformat_minor?: number; cells?: { id?: string }[] }
  try {
    nb = JSON.parse(text) as typeof nb
  } catch {
    return false
  }
  if ((nb.nbformat ?? 1) < 4) return true
  if ((nb.nbformat_minor ?? 0) < 5) return false
  const ids = (nb.cells ?? []).map((c) => c.id)
  return ids.some((id) => id === undefined) || new Set(ids).size !== ids.length
}

export interface ShippedNotebook {
  /** Path relative to the nbdime package. */
  name: string
  text: string
}

/**
 * The notebooks nbdime's wheel ships for its own tests (tests/files, webapp/testnotebooks), grouped
 * by what they are versions of: `apap--1`/`apap--2`, `multilevel-test-base`/`-local`/`-remote`.
 * Empty when python3 cannot import nbdime.
 */
export function nbdimeShippedNotebookGroups(): Map<string, ShippedNotebook[]> {
  let pkg: string
  try {
    // Found, not imported: importing nbdime costs ~2.5 s of CPU here (jsonschema imports rfc3987_syntax).
    const where = 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("nbdime").origin))'
    pkg = execFileSync('python3', ['-c', where], { encoding: 'utf8', timeout: 30_000 }).trim()
  } catch {
    return new Map()
  }
  const groups = new Map<string, ShippedNotebook[]>()
  for (const sub of ['tests/files', 'webapp/testnotebooks']) {
    const dir = join(pkg, sub)
    if (!existsSync(dir)) continue
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.ipynb'))
      .sort()) {
      const stem = file.replace(/\.ipynb$/, '').replace(/(--\w+|-(base|local|remote))$/, '')
      const list = groups.get(stem) ?? []
      list.push({ name: `${sub}/${file}`, text: readFileSync(join(dir, file), 'utf8') })
      groups.set(stem, list)
    }
  }
  return groups
}
