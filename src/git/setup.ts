// `tamer git-setup`: register Tamer as git's diff driver for *.ipynb, as `nbdime config-git
// --enable` does for nbdime (jupyter/nbdime nbdime/vcs/git/diffdriver.py,
// https://nbdime.readthedocs.io/en/latest/vcs.html): `diff.tamer.command` in git config, and
// `*.ipynb diff=tamer` in the repository's .gitattributes (or the global attributes file).
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { simpleGit } from 'simple-git'

export interface GitSetupOptions {
  /** Where to run (a folder inside the repository for a per-repo setup). */
  cwd: string
  /** ~/.gitconfig and the global attributes file instead of the repository's. */
  global?: boolean
  /** How git should start Tamer, e.g. `tamer` or `node /opt/tamer/dist/cli.js`. */
  command: string
}

export const ATTRIBUTE_LINE = '*.ipynb\tdiff=tamer'

export async function gitSetup(opts: GitSetupOptions): Promise<{ attributesFile: string; driver: string }> {
  // Setting a diff command is this function's whole purpose, hence allowUnsafeDiffExternal.
  const git = simpleGit({ baseDir: opts.cwd, unsafe: { allowUnsafeConfigPaths: true, allowUnsafeDiffExternal: true } })
  const scope = opts.global ? ['--global'] : []
  const driver = `${opts.command} git-diff-driver`
  await git.raw(['config', ...scope, 'diff.tamer.command', driver])
  let attributesFile: string
  if (opts.global) {
    const configured = (await git.raw(['config', '--global', '--get', 'core.attributesfile']).catch(() => '')).trim()
    attributesFile = configured
      ? configured.replace(/^~(?=\/)/, homedir())
      : join(process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'git', 'attributes')
  } else {
    attributesFile = join((await git.raw(['rev-parse', '--show-toplevel'])).trim(), '.gitattributes')
  }
  const current = await readFile(attributesFile, 'utf8').catch(() => '')
  if (!current.split('\n').some((l) => /^\*\.ipynb\s+.*\bdiff=tamer\b/.test(l))) {
    await mkdir(dirname(attributesFile), { recursive: true })
    await appendFile(attributesFile, `${current && !current.endsWith('\n') ? '\n' : ''}${ATTRIBUTE_LINE}\n`)
  }
  return { attributesFile, driver }
}
