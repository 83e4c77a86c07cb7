// `tamer git-setup [--global] [--command CMD]`: `git diff` uses Tamer for *.ipynb.
//
// What goes into git config is a command git finds again later, never a path into this checkout
// (moving or deleting the checkout broke `git diff`, issue #11 item 8). nbdime does the same:
// `nbdime config-git --enable` writes the bare `git-nbdiffdriver diff`, found on PATH where pip put
// it (jupyter/nbdime nbdime/vcs/git/diffdriver.py). So: `tamer` when a `tamer` is on PATH (`npm i -g`,
// `npm link`); otherwise `npx --no-install tamer`, which finds the tamer of the repository's own
// node_modules/.bin (the checkout git diffs in) or a global one, and never downloads a package of
// that name from the registry.
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { parseArgs } from 'node:util'
import { gitSetup } from '../git/setup.js'
import type { CliIo } from './io.js'

export const GIT_SETUP_USAGE = `Usage: tamer git-setup [--global] [--command CMD]
  Makes \`git diff\` show *.ipynb with Tamer: diff.tamer.command in git config (the repository's,
  or ~/.gitconfig with --global) and "*.ipynb diff=tamer" in .gitattributes.
  --command CMD   how git starts Tamer (default: tamer when it is on PATH, else npx --no-install tamer)
`

/** The `tamer` executable on PATH, if any (what git's shell would find). */
export function tamerOnPath(env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, 'tamer')
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {
      // not here
    }
  }
  return null
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { global: { type: 'boolean' }, command: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help) {
    io.out(GIT_SETUP_USAGE)
    return 0
  }
  const command = values.command ?? (tamerOnPath(io.env) ? 'tamer' : 'npx --no-install tamer')
  const r = await gitSetup({ cwd: io.cwd, global: values.global, command })
  io.out(
    `git config ${values.global ? '--global ' : ''}diff.tamer.command = ${r.driver}\n${r.attributesFile}: *.ipynb diff=tamer\n`,
  )
  if (command === 'npx --no-install tamer')
    io.out(
      "tamer is not on PATH: git runs it through npx, from the repository's node_modules or a global install " +
        '(npm i -g to have it everywhere)\n',
    )
  return 0
}
