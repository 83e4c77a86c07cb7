// `tamer git-setup [--global] [--command CMD]`: `git diff` uses Tamer for *.ipynb.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { gitSetup } from '../git/setup.js'

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { global: { type: 'boolean' }, command: { type: 'string' } } })
  // By default git starts this very installation: node plus this script, absolute paths.
  const command =
    values.command ??
    [process.execPath, ...process.execArgv, resolve(process.argv[1] ?? 'tamer')]
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ')
  const r = await gitSetup({ cwd: process.cwd(), global: values.global, command })
  process.stdout.write(
    `git config ${values.global ? '--global ' : ''}diff.tamer.command = ${r.driver}\n${r.attributesFile}: *.ipynb diff=tamer\n`,
  )
  return 0
}
