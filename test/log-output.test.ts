// Logging never stops the service (issue #9, item 6): the real `tamer serve`, with its stdout on
// a full device or in a pipe nobody reads, still answers, and still exits on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { nonBlockingSink } from '../src/log-output.js'
import { SECRETS } from './support/app.js'
import * as P from './support/payloads.js'
import { signedGitHub } from './support/sign.js'
import { freePort } from './support/free-port.js'
import { childEnv, tamerArgv } from './support/ts-hooks.js'

async function poll<T>(what: string, budgetMs: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + budgetMs
  for (;;) {
    const v = await f().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function exited(child: ChildProcess): Promise<number | null> | number | null {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
  return new Promise((r) => child.once('exit', (code) => r(code)))
}

/** Starts `tamer serve` with stdout on `stdout`; killed (SIGKILL) in teardown if still running. */
async function serve(t: Test, stdout: number | 'pipe') {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-log-'))
  const config = join(dir, 'tamer.yaml')
  // No diffs in the background: the payload's repository is not reachable from here. No drain delay:
  // SIGTERM still logs its drain and stop lines, without 5 s of waiting for a load balancer there is not.
  writeFileSync(config, 'diffs:\n  precompute: false\nserver:\n  drainDelayMs: 0\n')
  const port = await freePort()
  const child = spawn(process.execPath, tamerArgv('serve', '--config', config), {
    env: childEnv({
      TAMER_PORT: String(port),
      TAMER_HOST: '127.0.0.1',
      TAMER_DATA_DIR: dir,
      TAMER_GITHUB_SECRET: SECRETS.github,
      TAMER_API_TOKEN: SECRETS.api,
    }),
    stdio: ['ignore', stdout, 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited(child)
    }
    rmSync(dir, { recursive: true, force: true })
  })
  const base = `http://127.0.0.1:${port}`
  await poll(`tamer serve to answer /healthz (stderr: ${stderr.slice(-500)})`, 90_000, async () =>
    (await fetch(`${base}/healthz`)).status === 200 ? true : undefined,
  )
  return { child, base, stderr: () => stderr }
}

async function signedPush(base: string) {
  const d = signedGitHub('push', P.githubPush())
  return fetch(`${base}/hooks/github`, { method: 'POST', headers: d.headers, body: d.body })
}

async function stopsOnSigterm(t: Test, child: ChildProcess) {
  child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const code = await Promise.race([
    exited(child),
    new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 60_000))),
  ])
  clearTimeout(timer)
  t.equal(code, 0, 'exits cleanly on SIGTERM')
}

t.test('stdout on a full device (/dev/full, ENOSPC on every write): serving, storing and stopping go on', async (t) => {
  const full = openSync('/dev/full', 'w')
  t.teardown(() => closeSync(full))
  const { child, base } = await serve(t, full)
  t.equal((await signedPush(base)).status, 202, 'a signed delivery is stored')
  const list = await fetch(`${base}/api/deliveries`, { headers: { authorization: `Bearer ${SECRETS.api}` } })
  t.equal(((await list.json()) as { items: unknown[] }).items.length, 1)
  t.equal((await fetch(`${base}/readyz`)).status, 200)
  await stopsOnSigterm(t, child)
})

t.test('stdout a pipe nobody reads: megabytes of log lines later, serving and stopping go on', async (t) => {
  const { child, base } = await serve(t, 'pipe')
  // child.stdout is never read: the pipe and its buffers fill after a few hundred KB.
  const longPath = `/nothing-here/${'x'.repeat(8000)}`
  for (let i = 0; i < 40; i++) {
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${base}${longPath}`).then((r) => r.status)),
    )
    if (statuses.some((s) => s !== 404)) t.fail(`unexpected statuses ${statuses}`)
  }
  t.equal((await fetch(`${base}/healthz`)).status, 200, 'still answering after ~3 MB of log lines')
  t.equal((await signedPush(base)).status, 202)
  await stopsOnSigterm(t, child)
})

t.test('the sink drops what a failing or stalled stdout does not take, and never throws', async (t) => {
  const full = openSync('/dev/full', 'w')
  t.teardown(() => closeSync(full))
  const sink = nonBlockingSink(full, 1024)
  for (let i = 0; i < 100; i++) sink.write(`{"n":${i},"pad":"${'y'.repeat(40)}"}\n`)
  await poll('the failed writes to be counted', 10_000, async () => (sink.dropped === 100 ? true : undefined))
  t.equal(sink.dropped, 100, 'every line dropped: held past the bound, or lost to ENOSPC')
  sink.write('{"last":true}\n')
  t.doesNotThrow(() => sink.flushSync(), 'the exit flush gives up at once')
})

t.test('lines written apart and together reach the file whole and in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-sink-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'out.log')
  const fd = openSync(file, 'w')
  t.teardown(() => closeSync(fd))
  const sink = nonBlockingSink(fd)
  const lines = Array.from({ length: 50 }, (_, i) => `{"n":${i}}\n`)
  for (const l of lines.slice(0, 25)) sink.write(l)
  await new Promise((r) => setImmediate(r))
  for (const l of lines.slice(25)) sink.write(l)
  const want = lines.join('')
  const got = await poll('the lines to be written', 10_000, async () => {
    const text = readFileSync(file, 'utf8')
    return text.length === want.length ? text : undefined
  })
  t.equal(got, want)
  t.equal(sink.dropped, 0)
})
