// Runs the TypeScript tree on Node's own type stripping (Node 22.18+, 24): the only help Node
// needs is to find `./x.ts` where the source says `./x.js` (TypeScript's NodeNext convention).
// In-thread, synchronous hooks (module.registerHooks) cost far less per process than a loader on
// its own thread (tsx's): test files and the CLI children the tests start pay this once each.
// https://nodejs.org/api/module.html#synchronous-hooks-accepted-by-moduleregisterhooks
// https://nodejs.org/api/typescript.html#type-stripping
// Older Node (no registerHooks or no stripping) falls back to tsx.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import module from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

if (typeof module.registerHooks === 'function' && process.features.typescript) {
  // V8's code cache on disk: on Node 24 it covers the stripped TypeScript too and halves the CPU of
  // loading the service's module graph (~1.4 s → ~0.75 s here); NODE_COMPILE_CACHE overrides the place.
  // https://nodejs.org/api/module.html#moduleenablecompilecachecachedir
  module.enableCompileCache?.()
  const strippedDir = stripCacheDir()
  // tap gives each test process its process-info loader (which files a test loaded, for coverage and
  // `--changed`). With coverage off (package.json's tap config) nothing reads what it records, yet it
  // reads every module again and keeps its line lengths — on Node 22 through a loader thread — which
  // about doubles the CPU of loading the service. `npm test` (scripts/tap.mjs) loads these hooks
  // through NODE_OPTIONS, ahead of tap's own --import flags, so that import resolves to nothing.
  // https://github.com/tapjs/processinfo#readme
  const skipProcessInfo = process.env.TAP_DISABLE_COVERAGE === '1'
  // Likewise tap's mock loader (t.mockImport): its hooks see every module each test loads, ~20 % of
  // the CPU of a test file that starts the service (npm test: ~0.5 s in each file). The tests use real
  // parts, not mocks, and t.mockImport of a .ts module never worked here (it hangs until tap's timeout);
  // without the loader a mockImport's mocks are not applied, so a test that relied on them fails.
  // https://github.com/tapjs/tapjs/tree/main/src/mock#readme
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (skipProcessInfo && specifier.endsWith('/@tapjs/processinfo/dist/esm/import.mjs'))
        return { url: 'data:text/javascript,', shortCircuit: true }
      if (specifier.endsWith('/@tapjs/mock/dist/esm/import.mjs'))
        return { url: 'data:text/javascript,', shortCircuit: true }
      const parent = context.parentURL
      if (
        parent?.startsWith('file:') &&
        parent.endsWith('.ts') &&
        specifier.endsWith('.js') &&
        (specifier.startsWith('./') || specifier.startsWith('../'))
      ) {
        const ts = new URL(`${specifier.slice(0, -3)}.ts`, parent)
        if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context)
      }
      return nextResolve(specifier, context)
    },
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context)
      if (strippedDir === null || loaded.format !== 'module-typescript') return loaded
      return { format: 'module', source: stripped(strippedDir, loaded.source), shortCircuit: true }
    },
  })
} else {
  await import('tsx')
}

/**
 * Node 22 strips a TypeScript file's types on every load, and its code cache (above) keeps only
 * the compiled JavaScript of plain .js files; Node 24's covers TypeScript too. On Node 22 the
 * stripped source is kept in node_modules/.cache/tamer-stripped, named by a hash of Node's version
 * and the file's text, and handed to Node as JavaScript, so the code cache applies: importing the
 * composition root takes ~1.1 s of CPU instead of ~1.8 s here, in every test file and every `tamer`
 * child. Beside the dependencies (not in the shared /tmp): what is read there is run as code.
 * Written to a unique name, then renamed: concurrent processes never read half a file.
 * https://nodejs.org/api/module.html#modulestriptypescripttypescode-options
 */
function stripCacheDir() {
  const major = Number(process.versions.node.split('.')[0])
  if (major >= 24 || typeof module.stripTypeScriptTypes !== 'function') return null
  const dir = fileURLToPath(new URL('../node_modules/.cache/tamer-stripped/', import.meta.url))
  try {
    mkdirSync(dir, { recursive: true })
    return dir
  } catch {
    return null
  }
}

function stripped(dir, source) {
  const text = typeof source === 'string' ? source : Buffer.from(source).toString('utf8')
  const hash = createHash('sha256').update(process.version).update(text).digest('hex')
  const file = join(dir, `${hash}.js`)
  try {
    return readFileSync(file, 'utf8')
  } catch {
    // The same stripping Node does itself (mode 'strip': types become blanks, lines stay where they
    // are); on Node 22 the function warns that it is experimental, which would reach children's stderr.
    const warn = process.emitWarning
    let js
    process.emitWarning = () => {}
    try {
      js = module.stripTypeScriptTypes(text)
    } finally {
      process.emitWarning = warn
    }
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    try {
      writeFileSync(tmp, js)
      renameSync(tmp, file)
    } catch {
      // A read-only or full cache dir costs the next process a strip, nothing more.
    }
    return js
  }
}
