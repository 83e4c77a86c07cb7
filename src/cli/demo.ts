// `tamer demo` (`npm run demo`): the main job end to end on this machine (src/demo/); keeps Tamer
// running so the printed links open, until Ctrl-C; `--exit` stops after printing (tests, CI).
import { parseArgs } from 'node:util'
import { devDependenciesMissing } from '../demo/mail-catcher.js'

const USAGE = `Usage: tamer demo [--port N] [--exit]

Starts Tamer on SQLite in a temp dir with generated secrets, a sample repository on a local git
server, the Jenkins emulator and a mail catcher; pushes a notebook change and prints the diff page,
the build and the failure mail. Everything listens on 127.0.0.1; nothing is fetched from outside.

  --port N   Tamer's port (default 8080, or a free one when 8080 is taken)
  --exit     stop after printing (default: keep running until Ctrl-C)
`

export interface DemoIo {
  stdout: (s: string) => void
  stderr: (s: string) => void
  /** How the devDependencies are looked for (default: import()). */
  load?: (name: string) => Promise<unknown>
}

/** The command, without process-wide effects; `keepRunning` is told to wait when --exit is not given. */
export async function demoCommand(argv: string[], io: DemoIo, keepRunning: (stop: () => Promise<void>) => void) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      exit: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    io.stdout(USAGE)
    return 0
  }
  const port = values.port === undefined ? undefined : Number(values.port)
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    io.stderr(`tamer demo: --port must be a port number, not ${values.port}\n`)
    return 1
  }
  const missing = await devDependenciesMissing(io.load)
  if (missing.length > 0) {
    io.stderr(
      `tamer demo: the demo is a development tool and needs a development install ` +
        `(${missing.join(' and ')} missing: this looks like \`npm ci --omit=dev\` or a production image).\n` +
        `Run it from a checkout: npm ci && npm run demo\n`,
    )
    return 1
  }
  const { runDemo, formatReport, DemoError } = await import('../demo/index.js')
  const report = await runDemo({ port }).catch((err: unknown) => {
    if (err instanceof DemoError) return err
    throw err
  })
  if (report instanceof DemoError) {
    io.stderr(`tamer demo: ${report.message}\n`)
    return 1
  }
  io.stdout(formatReport(report, { keepsRunning: !values.exit }))
  if (values.exit) {
    await report.close()
    return 0
  }
  keepRunning(report.close)
  return -1
}

export async function run(argv: string[]): Promise<number> {
  const io = {
    stdout: (s: string) => void process.stdout.write(s),
    stderr: (s: string) => void process.stderr.write(s),
  }
  return demoCommand(argv, io, (stop) => {
    const shutdown = () => void stop().then(() => process.exit(0))
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
  })
}
