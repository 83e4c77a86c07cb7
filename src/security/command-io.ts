// What the operator commands (`tamer secrets`, `tamer tokens`) read and write, so tests run them
// in process; and how they name the operator in the audit log.
import { userInfo } from 'node:os'
import { ConfigError } from '../errors.js'

export interface CommandIo {
  env: NodeJS.ProcessEnv
  /** The whole of standard input (a secret's value). */
  stdin(): Promise<string>
  out(s: string): void
  err(s: string): void
  /** Who runs the command (default: the OS user). */
  user?: string
}

/** `cli:<user>` in the audit log; TAMER_ACTOR names a person where the OS user is shared (a container). */
export function cliActor(env: NodeJS.ProcessEnv, user?: string): string {
  if (env.TAMER_ACTOR) return `cli:${env.TAMER_ACTOR}`
  if (user) return `cli:${user}`
  try {
    return `cli:${userInfo().username}`
  } catch {
    return `cli:uid ${process.getuid?.() ?? '?'}`
  }
}

/**
 * Config errors exit 2, coded errors (a stored secret that cannot be opened, a missing master key)
 * print their message and code and exit 2; anything else is a crash and is thrown again.
 */
export function commandFailure(io: Pick<CommandIo, 'err'>, err: unknown): number {
  if (err instanceof ConfigError) {
    io.err(`tamer: ${err.message}\n`)
    return 2
  }
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && code.startsWith('TAMER_')) {
    io.err(`tamer: ${(err as Error).message} (${code})\n`)
    return 2
  }
  throw err
}

export async function runCommand(io: CommandIo, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn()
  } catch (err) {
    return commandFailure(io, err)
  }
}

/** Standard input read to its end. */
export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('value (end with Ctrl-D): ')
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** The io of an operator command run by the `tamer` bin. */
export function processCommandIo(): CommandIo {
  return {
    env: process.env,
    stdin: readStdin,
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
  }
}
