// What a `tamer` subcommand reads and writes (main.ts passes it; tests pass their own, test/support/cli.ts).
import { processCommandIo, type CommandIo } from '../security/command-io.js'

/** The process's env, stdin and output, where relative paths start (git-setup), and whether to colour. */
export interface CliIo extends CommandIo {
  cwd: string
  color: boolean
}

export const processIo = (): CliIo => ({
  ...processCommandIo(),
  cwd: process.cwd(),
  color: process.stdout.isTTY === true,
})
