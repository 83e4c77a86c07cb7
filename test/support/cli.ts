// The `tamer` command in process: main() with its own env, working directory, stdin and captured
// output, so a test pays no Node + tsx start-up per call (issue #11 item 15). The bin itself
// (src/cli/index.ts) only calls main() and exits with its status.
import { main } from '../../src/cli/main.js'

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

export async function runTamer(
  argv: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  // Relative paths in arguments (`tamer diff a.ipynb b.ipynb`, `-c FILE`) start where the command runs.
  const before = process.cwd()
  if (opts.cwd) process.chdir(opts.cwd)
  const exitCode = await main(argv, {
    env: opts.env ?? process.env,
    cwd: opts.cwd ?? process.cwd(),
    color: false,
    stdin: async () => opts.stdin ?? '',
    out: (s) => void (stdout += s),
    err: (s) => void (stderr += s),
  }).finally(() => process.chdir(before))
  return { exitCode, stdout, stderr }
}
