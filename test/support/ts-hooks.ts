// What a Node child process the tests start needs to run the TypeScript tree: scripts/ts-hooks.mjs
// (Node's own type stripping, tsx on older Node), as an absolute file URL so any cwd works, and an
// environment without the test runner's own instrumentation.
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export const TS_HOOKS = pathToFileURL(resolve(ROOT, 'scripts/ts-hooks.mjs')).href

/** The `tamer` bin as a test starts it: `process.execPath` with these arguments. */
export const TAMER_CLI = resolve(ROOT, 'src/cli/index.ts')
export const tamerArgv = (...args: string[]): string[] => ['--import', TS_HOOKS, TAMER_CLI, ...args]
/** The same for another checkout's `tamer` (a bench's before tree), with this tree's hooks. */
export const tamerArgvOf = (tree: string, ...args: string[]): string[] => [
  '--import',
  TS_HOOKS,
  resolve(tree, 'src/cli/index.ts'),
  ...args,
]

/**
 * This process's environment for a Node child, less tap's: tap hands every test NODE_OPTIONS with its
 * process-info loader (`@tapjs/processinfo`, for coverage and `--changed`), which a child inherits and
 * pays for on every module it loads — on Node 22 an off-thread loader, about doubling the CPU of
 * starting `tamer serve`. The child runs as an operator starts it. `drop` names more prefixes to leave out.
 */
export function childEnv(extra: Record<string, string> = {}, drop: string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k.startsWith('TAP') || k.startsWith('_TAPJS_')) continue
    if (drop.some((p) => k.startsWith(p))) continue
    env[k] = v
  }
  return { ...env, ...extra }
}
