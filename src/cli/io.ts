// What a `tamer` subcommand reads and writes (main.ts passes it; tests pass their own, test/support/cli.ts).
// command-io.js (and the error catalogue it loads) only when a command reads stdin: `--help` and
// `tamer diff` start without them.
import type { CommandIo } from '../security/command-io.js'

/** The process's env, stdin and output, where relative paths start (git-setup), and whether to colour. */
export interface CliIo extends CommandIo {
  cwd: string
  color: boolean
}

export const processIo = (): CliIo => ({
  env: process.env,
  stdin: async () => (await import('../security/command-io.js')).readStdin(),
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  cwd: process.cwd(),
  color: process.stdout.isTTY === true,
})
