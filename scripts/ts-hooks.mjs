// Runs the TypeScript tree on Node's own type stripping (Node 22.18+, 24): the only help Node
// needs is to find `./x.ts` where the source says `./x.js` (TypeScript's NodeNext convention).
// In-thread, synchronous hooks (module.registerHooks) cost far less per process than a loader on
// its own thread (tsx's): test files and the CLI children the tests start pay this once each.
// https://nodejs.org/api/module.html#synchronous-hooks-accepted-by-moduleregisterhooks
// https://nodejs.org/api/typescript.html#type-stripping
// Older Node (no registerHooks or no stripping) falls back to tsx.
import { existsSync } from 'node:fs'
import module from 'node:module'
import { fileURLToPath } from 'node:url'

if (typeof module.registerHooks === 'function' && process.features.typescript) {
  // V8's code cache on disk: on Node 24 it covers the stripped TypeScript too and halves the CPU of
  // loading the service's module graph (~1.4 s → ~0.75 s here); NODE_COMPILE_CACHE overrides the place.
  // https://nodejs.org/api/module.html#moduleenablecompilecachecachedir
  module.enableCompileCache?.()
  // tap gives each test process its process-info loader (which files a test loaded, for coverage and
  // `--changed`). With coverage off (package.json's tap config) nothing reads what it records, yet it
  // reads every module again and keeps its line lengths — on Node 22 through a loader thread — which
  // about doubles the CPU of loading the service. `npm test` (scripts/tap.mjs) loads these hooks
  // through NODE_OPTIONS, ahead of tap's own --import flags, so that import resolves to nothing.
  // https://github.com/tapjs/processinfo#readme
  const skipProcessInfo = process.env.TAP_DISABLE_COVERAGE === '1'
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (skipProcessInfo && specifier.endsWith('/@tapjs/processinfo/dist/esm/import.mjs'))
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
  })
} else {
  await import('tsx')
}
