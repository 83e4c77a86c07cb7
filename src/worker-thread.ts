// Starting our own worker threads the same way from built code and from sources.
import { Worker, type WorkerOptions } from 'node:worker_threads'

/**
 * A worker running the module next to `callerUrl` named `name` (without extension). Built, that
 * is `name.js`. From sources (tests, benches) it is `name.ts`, and loader hooks do not reach
 * worker threads, so the worker registers tsx itself before importing it.
 */
export function startModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options)
  const url = new URL(`./${name}.ts`, callerUrl).href
  // tsx found from here, not from the working directory an eval worker resolves from (a command
  // run in another directory, test/support/cli.ts).
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'))
  const bootstrap = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}) })`
  return new Worker(bootstrap, { ...options, eval: true })
}
