// Starting our own worker threads the same way from built code and from sources.
import module from 'node:module'
import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * A worker running the module next to `callerUrl` named `name` (without extension). Built, that
 * is `name.js`. From sources (tests, benches) it is `name.ts`, and loader hooks do not reach
 * worker threads, so the worker registers them itself before importing it: scripts/ts-hooks.mjs
 * (Node's type stripping, in-thread hooks) where Node has both, else tsx. tsx in every worker cost
 * ~0.25 s of CPU more per SQLite store opened (its writer and checkpointer), in every test and child.
 */
export function startModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options)
  const url = JSON.stringify(new URL(`./${name}.ts`, callerUrl).href)
  // Found from here, not from the working directory an eval worker resolves from (a command run in
  // another directory, test/support/cli.ts).
  const bootstrap = stripsTypes
    ? `import(${JSON.stringify(new URL('../scripts/ts-hooks.mjs', import.meta.url).href)}).then(() => import(${url}))`
    : `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${url}) })`
  return new Worker(bootstrap, { ...options, eval: true })
}

// scripts/ts-hooks.mjs's own test: synchronous in-thread hooks and type stripping, else it loads tsx.
const stripsTypes =
  typeof (module as { registerHooks?: unknown }).registerHooks === 'function' &&
  Boolean((process.features as { typescript?: unknown }).typescript)
