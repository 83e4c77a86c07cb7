// The `tamer` command (index.ts is the bin that runs it). Only the named subcommand's module is
// loaded (`tamer diff` starts without Fastify, SQLite or the pipeline): each file here is one
// subcommand with its own options. Everything it reads and writes goes through `io`, so tests run
// the command in process, as the README shows it (test/readme/examples.test.ts).
import { processIo, type CliIo } from './io.js'

const USAGE = `Usage: tamer <command> [options]

Commands:
  serve                    Run the webhook receiver, API and build pipeline (default port 8080)
  rules test <id>          Show which routing rules match a stored delivery, and why
                           (Tamer's delivery id or the host's delivery GUID)
  jobs sync                Create or update the Jenkins jobs of the rules' templates
  run <repo> <branch> [--rule NAME]
                           Run a rule's job on a branch's head now (tamer serve starts it; see --help)
  notify test --channel NAME [--to ADDRESS]
                           Send a sample notice through one configured channel (email or a chat name)
  status test --repo HOST:OWNER/REPO --sha SHA
                           Post a test commit status with the configured credential; print the host's answer
  diff A.ipynb B.ipynb     Notebook-aware diff (--format text|json|html|markdown, --engine native|nbdime,
                           --ignore-outputs …; see tamer diff --help)
  git-setup [--global]     Make \`git diff\` use Tamer for *.ipynb (diff driver + .gitattributes);
                           --command CMD says how git starts Tamer (default: tamer if on PATH, else npx --no-install tamer)
  secrets set|list|delete|rotate
                           Secrets sealed in the store under TAMER_MASTER_KEY (see tamer secrets --help)
  replay <delivery-id>     Run a stored delivery's pipeline again, as a new delivery (audited)
  dead-letters [--retry]   List the notices, host posts and builds given up on; --retry puts them back
  migrate                  Bring the store's schema up to date and exit
  tokens create|list|revoke
                           API tokens stored hashed, with a scope and tenants (see tamer tokens --help)
  demo [--exit]            The main job end to end on this machine: a notebook push, its diff page,
                           a failing build on the Jenkins emulator, the failure mail (development installs)

Options:
  -c, --config FILE   YAML config file (also TAMER_CONFIG)
  -h, --help          Show this help
`

/** A subcommand gets the arguments after its name; -1 means it keeps running (serve). */
type Run = (argv: string[], io: CliIo) => Promise<number>

const COMMANDS: Record<string, () => Promise<Run>> = {
  serve: async () => (await import('./serve.js')).run,
  rules: async () => (await import('./rules.js')).run,
  jobs: async () => (await import('./jobs.js')).run,
  run: async () => (await import('./run.js')).run,
  notify: async () => (await import('./notify.js')).run,
  status: async () => (await import('./status.js')).run,
  diff: async () => {
    const { runDiffCommand } = await import('./diff.js')
    return (argv, io) => runDiffCommand(argv, diffIo(io))
  },
  'git-diff-driver': async () => {
    const { runGitDiffDriver } = await import('./diff.js')
    return (argv, io) => runGitDiffDriver(argv, diffIo(io))
  },
  'git-setup': async () => (await import('./git-setup.js')).run,
  secrets: async () => (await import('./secrets.js')).run,
  tokens: async () => (await import('./tokens.js')).run,
  demo: async () => (await import('./demo.js')).run,
  replay: async () => (await import('./replay.js')).run,
  'dead-letters': async () => (await import('./dead-letters.js')).run,
  migrate: async () => (await import('./migrate.js')).run,
}

const diffIo = (io: CliIo) => ({ stdout: io.out, stderr: io.err, color: io.color })

/** The command word: the first argument that is not an option (nor -c's value: `tamer -c FILE serve`). */
function commandIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-c' || a === '--config') i++
    else if (!a.startsWith('-')) return i
  }
  return -1
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const at = commandIndex(argv)
  const name = at >= 0 ? argv[at]! : undefined
  if (name === undefined) {
    const help = argv.includes('-h') || argv.includes('--help')
    ;(help ? io.out : io.err)(USAGE)
    return help ? 0 : 1
  }
  const load = COMMANDS[name]
  if (!load) {
    io.err(`tamer: unknown command ${name}\n${USAGE}`)
    return 1
  }
  const run = await load()
  try {
    return await run([...argv.slice(0, at), ...argv.slice(at + 1)], io)
  } catch (err) {
    // The catalogue is loaded only on this path: `--help` and `tamer diff` start without @fastify/error.
    return (await import('../security/command-io.js')).commandFailure(io, err)
  }
}
