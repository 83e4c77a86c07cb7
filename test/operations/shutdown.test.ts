// Graceful stop on SIGTERM, on a real `tamer serve` child process: /readyz answers 503 TAMER_DRAINING at
// once while deliveries are still taken (server.drainDelayMs), then the process exits 0 within its bound.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { SECRETS } from '../support/app.js'
import { githubPush } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'
import { freePort } from '../support/free-port.js'
import { childEnv, tamerArgv } from '../support/ts-hooks.js'

const ROOT = resolve(import.meta.dirname, '../..')

t.test('SIGTERM: not ready at once, deliveries still taken while draining, exit 0 within the bound', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-shutdown-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const config = join(dir, 'tamer.yaml')
  writeFileSync(
    config,
    JSON.stringify({
      server: { host: '127.0.0.1', port, drainDelayMs: 1500, shutdownTimeoutMs: 10_000 },
      dataDir: join(dir, 'data'),
      providers: { github: { secrets: [SECRETS.github] } },
      diffs: { precompute: false },
    }),
  )
  const child = spawn(process.execPath, tamerArgv('serve', '--config', config), {
    cwd: ROOT,
    env: childEnv({}, ['TAMER_']),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let logs = ''
  child.stdout.on('data', (c: Buffer) => (logs += c.toString()))
  child.stderr.on('data', (c: Buffer) => (logs += c.toString()))
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)))
  t.teardown(() => void child.kill('SIGKILL'))
  const get = (path: string) => fetch(base + path).catch(() => null)
  for (let i = 0; (await get('/readyz'))?.status !== 200; i++) {
    if (i > 600) throw new Error(`tamer did not start: ${logs.slice(-2000)}`)
    await new Promise((r) => setTimeout(r, 100))
  }

  const sentAt = Date.now()
  child.kill('SIGTERM')
  let ready: Response | null = null
  for (let i = 0; i < 50; i++) {
    ready = await get('/readyz')
    if (ready?.status === 503) break
    await new Promise((r) => setTimeout(r, 20))
  }
  t.equal(ready?.status, 503, 'not ready once SIGTERM came')
  t.equal(((await ready!.json()) as { code: string }).code, 'TAMER_DRAINING')
  const d = signedGitHub('push', githubPush({}))
  const res = await fetch(`${base}/hooks/github`, { method: 'POST', headers: d.headers, body: d.body })
  t.equal(res.status, 202, 'a delivery during the drain is still stored')
  t.equal((await get('/healthz'))?.status, 200, 'and the process is up')

  const code = await exited
  t.equal(code, 0, logs.slice(-1500))
  const took = Date.now() - sentAt
  t.ok(took >= 1500 && took < 10_000, `exited ${took} ms after SIGTERM: after the drain delay, within the bound`)
  t.match(logs, /draining: \/readyz answers 503/)
  t.match(logs, /"msg":"stopped"/)
})
