// What a child process the tests start needs to run the TypeScript tree: scripts/ts-hooks.mjs
// (Node's own type stripping, tsx on older Node), as an absolute file URL so any cwd works.
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const TS_HOOKS = pathToFileURL(
  resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/ts-hooks.mjs'),
).href
