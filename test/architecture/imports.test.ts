// The import graph of src/: folders form layers, each importing only the layers below it, and no
// file imports itself back through others (what `madge --circular` reports). The table is the
// README's *Layout*, bottom first; a new folder fails here until it is given its place.
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')

/** Bottom first. Units on one line are peers: they may not import each other. */
const LAYERS: string[][] = [
  ['errors'],
  ['events', 'worker-thread', 'log-output'],
  ['config'],
  ['security', 'work'],
  ['links', 'logging'],
  ['notebooks/core'],
  ['notebooks/render'],
  ['store'],
  ['git', 'engines', 'jenkins', 'providers', 'observability'],
  ['diffs'],
  ['intake', 'pipeline', 'secrets', 'access', 'metrics'],
  ['parity'],
  ['notify'],
  ['reporting', 'signoff'],
  ['http'],
  ['console'],
  ['app'],
  ['compose'],
  ['demo'],
  ['cli'],
]
const RANK = new Map(LAYERS.flatMap((units, rank) => units.map((u) => [u, rank] as const)))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** The unit a file belongs to: the longest table entry its path starts with, else its first segment. */
function unitOf(file: string): string {
  const path = relative(SRC, file).replace(/\.ts$/, '')
  const units = [...RANK.keys()].filter((u) => path === u || path.startsWith(u + '/'))
  return units.sort((a, b) => b.length - a.length)[0] ?? path.split('/')[0]!
}

/** Relative imports of a file, static and dynamic, type-only ones included (they couple too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"](\.[^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!)
  return specs.map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'))
}

const files = sourceFiles(SRC)
const graph = new Map(files.map((f) => [f, importsOf(f)]))

t.test('every folder of src/ has its place in the layers', async (t) => {
  const unplaced = [...new Set(files.map(unitOf))].filter((u) => !RANK.has(u))
  t.same(unplaced, [], 'units missing from LAYERS (and from the README Layout)')
})

t.test('imports only run downward: a unit imports units of lower layers only', async (t) => {
  const upward: string[] = []
  for (const [file, targets] of graph)
    for (const target of targets) {
      const [from, to] = [unitOf(file), unitOf(target)]
      if (from === to) continue
      if ((RANK.get(to) ?? Infinity) >= (RANK.get(from) ?? -Infinity))
        upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)} (${from} -> ${to})`)
    }
  t.same(upward, [])
})

t.test('config/ imports nothing of ours but errors', async (t) => {
  const outside = [...graph]
    .filter(([file]) => unitOf(file) === 'config')
    .flatMap(([file, targets]) => targets.map((to) => [file, to] as const))
    .filter(([, to]) => !['config', 'errors'].includes(unitOf(to)))
    .map(([file, to]) => `${relative(SRC, file)} -> ${relative(SRC, to)}`)
  t.same(outside, [])
})

t.test('no file imports itself back through others', async (t) => {
  // Tarjan's strongly connected components over the file graph.
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (v: string) => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w)
      component.push(relative(SRC, w))
      if (w === v) break
    }
    if (component.length > 1) cycles.push(component.sort())
  }
  for (const file of graph.keys()) if (!index.has(file)) visit(file)
  t.same(cycles, [])
})

t.test('every relative import names a file that exists', async (t) => {
  const missing = [...graph].flatMap(([file, targets]) =>
    targets.filter((to) => !graph.has(to)).map((to) => `${relative(SRC, file)} -> ${relative(SRC, to)}`),
  )
  t.same(missing, [])
})
