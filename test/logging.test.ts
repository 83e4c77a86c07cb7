// Log lines carry the request id and the delivery id; nothing that authenticates is logged.
import t from 'tap'
import { Writable } from 'node:stream'
import { createLogger } from '../src/logging.js'
import { SECRETS, startTestApp } from './support/app.js'
import * as P from './support/payloads.js'
import { signedGitHub, signedGitLab } from './support/sign.js'

t.test('every line of a delivery request has reqId and deliveryId', async (t) => {
  const h = await startTestApp(t)
  const d = signedGitHub('push', P.githubPush(), { delivery: 'log-delivery-1' })
  await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  const lines = h.logs.map((l) => JSON.parse(l)).filter((l) => l.reqId)
  t.ok(lines.length >= 3, 'incoming, stored, completed')
  for (const line of lines) {
    t.equal(line.deliveryId, 'log-delivery-1', line.msg)
    t.type(line.reqId, 'string')
  }
  t.ok(lines.some((l) => l.msg === 'delivery stored'))
})

t.test('secrets never reach the logs, even on failures', async (t) => {
  const h = await startTestApp(t)
  const gl = signedGitLab('Push Hook', P.gitlabPush(), { token: 'not-the-token-but-secret-looking' })
  await h.app.inject({ method: 'POST', url: '/hooks/gitlab', headers: gl.headers, payload: gl.body })
  const ok = signedGitLab('Push Hook', P.gitlabPush())
  await h.app.inject({ method: 'POST', url: '/hooks/gitlab', headers: ok.headers, payload: ok.body })
  await h.app.inject({ method: 'GET', url: '/api/deliveries', headers: { authorization: `Bearer ${SECRETS.api}` } })
  const all = h.logs.join('\n')
  for (const secret of [...Object.values(SECRETS), 'not-the-token-but-secret-looking']) t.notOk(all.includes(secret), 'no secret in logs')
  t.notOk(all.includes(ok.headers['x-gitlab-token']!))
})

t.test('the logger redacts secret-looking fields wherever they are logged', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }))
  logger.info({ req: { headers: { authorization: 'Bearer abc', 'x-hub-signature-256': 'sha256=ff', 'x-gitlab-token': 'tok' } }, provider: { secret: 's3cr3t', tokens: ['t0k3n'] } }, 'x')
  const out = lines.join('')
  for (const s of ['Bearer abc', 'sha256=ff', '"tok"', 's3cr3t', 't0k3n']) t.notOk(out.includes(s), s)
  t.match(out, /\[redacted\]/)
})
