// package.json's `dependencies` are what ships in the image (the Dockerfile keeps them after
// `npm prune --omit=dev`): each is imported by src/, and everything src/ imports is among them
// (a devDependency imported by src/ would be missing in production). @octokit/webhooks and
// bitbucket were declared and shipped for nothing (issue #10).
import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import t from 'tap'

const ROOT = join(import.meta.dirname, '..', '..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

/** Only run from sources (src/worker-thread.ts registers tsx in a worker when the caller is a .ts file). */
const SOURCES_ONLY = new Set(['tsx'])

/**
 * src/demo/ holds development tools (`tamer demo`), never imported by the service: they may use
 * devDependencies, loaded by import() (or for types only), so that a production install gets
 * the demo's own message that it needs them rather than a failure to load `tamer demo`.
 */
const DEV_TOOLS = 'src/demo/'

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  )
}

/** `lodash/fp` → lodash, `@scope/name/sub` → @scope/name. */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/')

const imported = new Map<string, string[]>()
/** Packages src/demo/ loads with import() or for types only, and where. */
const devToolImports = new Map<string, string[]>()
for (const file of sourceFiles(join(ROOT, 'src'))) {
  const text = readFileSync(file, 'utf8')
  const path = file.slice(ROOT.length + 1)
  for (const m of text.matchAll(
    /(\bimport\s+type\b[^'"]*?\bfrom\s+|\bfrom\s+|\bimport\(\s*|\brequire\(\s*)'([^'.][^']*)'/g,
  )) {
    const spec = m[2]!
    if (spec.startsWith('node:') || builtinModules.includes(spec)) continue
    const name = packageOf(spec)
    const lazy = /^import\s+type\b|^import\(/.test(m[1]!)
    if (path.startsWith(DEV_TOOLS) && lazy && !(name in pkg.dependencies))
      devToolImports.set(name, [...(devToolImports.get(name) ?? []), path])
    else imported.set(name, [...(imported.get(name) ?? []), path])
  }
}

t.test('every dependency is imported by src/', async (t) => {
  for (const name of Object.keys(pkg.dependencies)) {
    t.ok(imported.has(name), `${name} is imported by src/ (else remove it, or move it to devDependencies)`)
  }
})

t.test('everything src/ imports is a dependency, not a devDependency', async (t) => {
  for (const [name, files] of imported) {
    if (SOURCES_ONLY.has(name)) continue
    t.ok(name in pkg.dependencies, `${name} (imported by ${files.join(', ')}) is in dependencies`)
  }
})

t.test('src/demo/ loads devDependencies lazily, and only devDependencies it declares', async (t) => {
  t.ok(devToolImports.has('smtp-server'), 'the mail catcher is found by this scan')
  for (const [name, files] of devToolImports)
    t.ok(name in pkg.devDependencies, `${name} (loaded by ${files.join(', ')}) is in devDependencies`)
})
