// Log lines carry the request id and the host's delivery id (hostDeliveryId; Tamer's own is deliveryId); nothing that
// authenticates is logged.
import t from 'tap'
import { Writable } from 'node:stream'
import { diffLinksFromConfig } from '../src/links/diff-links.js'
import { createLogger, LazyRequestLogger, lazyChild, plainLineLogger, redactUrl } from '../src/logging.js'
import { SECRETS, startTestApp, testConfig } from './support/app.js'
import { startPipelineApp } from './support/pipeline-app.js'
import * as P from './support/payloads.js'
import { signedGitHub, signedGitLab } from './support/sign.js'

t.test(
  "every line of a delivery request has reqId and the host's hostDeliveryId; the stored line Tamer's deliveryId",
  async (t) => {
    const h = await startTestApp(t)
    const d = signedGitHub('push', P.githubPush(), { delivery: 'log-delivery-1' })
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    const lines = h.logs.map((l) => JSON.parse(l)).filter((l) => l.reqId)
    t.equal(lines.length, 1, 'one line: the delivery stored (no incoming/completed pair, issue #12)')
    for (const line of lines) {
      t.equal(line.hostDeliveryId, 'log-delivery-1', line.msg)
      t.type(line.reqId, 'string')
    }
    const stored = lines.find((l) => l.msg === 'delivery stored')
    t.equal(stored?.deliveryId, res.json().id, "one name per id: deliveryId is Tamer's id, never the host's GUID")
    t.not(res.json().id, 'log-delivery-1')
  },
)

t.test('a delivery no rule matched logs one line at info; its route goes to debug (issue #12)', async (t) => {
  const h = await startPipelineApp(t, { rules: [] })
  const pushed = await h.push({ after: 'a'.repeat(40) })
  await h.drain()
  t.equal((await h.store.getDelivery(pushed.id))?.status, 'processed', 'routed')
  const lines = h.logs.map((l) => JSON.parse(l)).filter((l) => l.deliveryId === pushed.id)
  t.same(
    lines.map((l) => l.msg),
    ['delivery stored'],
    'its outcome is in its dispatch record, not in a line',
  )
})

t.test('secrets never reach the logs, even on failures', async (t) => {
  const h = await startTestApp(t)
  const gl = signedGitLab('Push Hook', P.gitlabPush(), { token: 'not-the-token-but-secret-looking' })
  await h.app.inject({ method: 'POST', url: '/hooks/gitlab', headers: gl.headers, payload: gl.body })
  const ok = signedGitLab('Push Hook', P.gitlabPush())
  await h.app.inject({ method: 'POST', url: '/hooks/gitlab', headers: ok.headers, payload: ok.body })
  await h.app.inject({ method: 'GET', url: '/api/deliveries', headers: { authorization: `Bearer ${SECRETS.api}` } })
  const all = h.logs.join('\n')
  for (const secret of [...Object.values(SECRETS), 'not-the-token-but-secret-looking'])
    t.notOk(all.includes(secret), 'no secret in logs')
  t.notOk(all.includes(ok.headers['x-gitlab-token']!))
})

t.test('the logger redacts secret-looking fields wherever they are logged', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }))
  logger.info(
    {
      req: { headers: { authorization: 'Bearer abc', 'x-hub-signature-256': 'sha256=ff', 'x-gitlab-token': 'tok' } },
      provider: { secret: 's3cr3t', tokens: ['t0k3n'] },
    },
    'x',
  )
  const out = lines.join('')
  for (const s of ['Bearer abc', 'sha256=ff', '"tok"', 's3cr3t', 't0k3n']) t.notOk(out.includes(s), s)
  t.match(out, /\[redacted\]/)
})

t.test("a signed link's sig (and other secret-looking query values) never reach the request logs", async (t) => {
  const config = testConfig({
    links: { secret: 'link-secret-for-logs' },
    jenkins: { publicUrl: 'https://tamer.example.com' },
  })
  const h = await startTestApp(t, { config })
  const url = new URL(diffLinksFromConfig(config).urlFor('00000000-0000-4000-8000-000000000000')!)
  const sig = url.searchParams.get('sig')!
  const res = await h.app.inject({ method: 'GET', url: `${url.pathname}${url.search}` })
  t.equal(res.statusCode, 404, 'a valid link to a delivery that does not exist')
  await h.app.inject({
    method: 'GET',
    url: '/diffs/x?token=tok-in-query-1&api_key=key-in-query-2&Sig=sig-in-query-3&exp=1',
  })
  const all = h.logs.join('\n')
  for (const secret of [sig, 'tok-in-query-1', 'key-in-query-2', 'sig-in-query-3'])
    t.notOk(all.includes(secret), `${secret} not logged`)
  const incoming = h.logs
    .map((l) => JSON.parse(l))
    .filter((l) => l.msg === 'incoming request')
    .map((l) => l.req.url)
  t.equal(incoming.length, 2)
  t.equal(
    incoming[0],
    `${url.pathname}?exp=${url.searchParams.get('exp')}&sig=[redacted]`,
    'the rest of the URL is kept',
  )
  // (the value masks of src/security/secrets.ts may mask token=… again, as ****)
  t.match(incoming[1], /^\/diffs\/x\?token=(\[redacted\]|\*+)&api_key=(\[redacted\]|\*+)&Sig=\[redacted\]&exp=1$/)
})

t.test('redactUrl', async (t) => {
  t.equal(redactUrl('/diffs/a'), '/diffs/a')
  t.equal(redactUrl('/diffs/a?exp=1&sig=abc'), '/diffs/a?exp=1&sig=[redacted]')
  t.equal(redactUrl('/x?si%67=abc&sig&q=1'), '/x?si%67=[redacted]&sig&q=1', 'an encoded name is still recognised')
  t.equal(redactUrl('/x?%E0%A4%A=1'), '/x?%E0%A4%A=1', 'an undecodable name is kept as sent')
})

t.test(
  'a delivery logs one line, its outcome, with its ids (not Fastify’s incoming/completed pair as well)',
  async (t) => {
    const h = await startTestApp(t)
    const d = signedGitHub('push', P.githubPush(), { delivery: 'one-line-delivery' })
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202)
    const bad = signedGitHub('push', P.githubPush(), { delivery: 'one-line-refused' })
    const refused = await h.app.inject({
      method: 'POST',
      url: '/hooks/github',
      headers: { ...bad.headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      payload: bad.body,
    })
    t.equal(refused.statusCode, 401)
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>)
    const of = (id: string) => lines.filter((l) => l.hostDeliveryId === id)
    t.match(of('one-line-delivery'), [
      {
        msg: 'delivery stored',
        deliveryId: res.json().id,
        provider: 'github',
        event: 'push',
        outcome: 'pending',
        statusCode: 202,
        reqId: String,
      },
    ])
    t.equal(of('one-line-delivery').length, 1, 'one line for a stored delivery')
    t.match(of('one-line-refused'), [{ code: 'TAMER_BAD_SIGNATURE', statusCode: 401 }])
    t.equal(of('one-line-refused').length, 1, 'one line for a refused one')
    // Other routes keep Fastify's request lines.
    await h.app.inject({ method: 'GET', url: '/healthz' })
    await h.app.inject({ method: 'GET', url: '/nowhere' })
    t.ok(
      h.logs.some((l) => l.includes('"incoming request"') && l.includes('/nowhere')),
      'other requests are still logged',
    )
  },
)

t.test('a lazy child logs the lines a child does, and is made only for a line at an enabled level', async (t) => {
  const lines: string[] = []
  const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) })
  const logger = createLogger('info', sink)
  let made = 0
  const child = logger.child.bind(logger)
  logger.child = ((...a: Parameters<typeof child>) => (made++, child(...a))) as typeof logger.child
  const lazy = lazyChild(logger, { buildId: 'b1' })
  lazy.debug({ job: 'j' }, 'below the level')
  t.equal(made, 0, 'nothing made for a line below the level')
  lazy.info({ job: 'j' }, 'build requested')
  lazy.warn({ job: 'j' }, 'again')
  t.equal(made, 1, 'made once, at its first line')
  child({ buildId: 'b1' }).info({ job: 'j' }, 'build requested')
  const [a, , b] = lines.map((l) => ({ ...JSON.parse(l), time: 0 }))
  t.same(a, b, 'the same line as an eager child')
  t.equal(a.buildId, 'b1')
})

t.test("a line logger without key redaction still masks every configured secret's value", async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }), {
    secrets: ['plain-line-secret-1'],
  })
  plainLineLogger(logger, { provider: 'github' }).info({ deliveryId: 'x-plain-line-secret-1' }, 'delivery stored')
  t.equal(lines.length, 1)
  t.notOk(lines[0]!.includes('plain-line-secret-1'), 'the secret is masked')
  t.match(JSON.parse(lines[0]!), { provider: 'github', msg: 'delivery stored' })
})

t.test('a lazy child with its bindings from a function: made on its first line, once', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }))
  let made = 0
  const lazy = lazyChild(logger, () => (made++, { reqId: 'r1' }))
  t.equal(made, 0, 'nothing made until something logs')
  lazy.debug('below the level')
  lazy.info({ code: 'X' }, 'one')
  lazy.warn('two')
  t.equal(made, 1)
  t.equal(lazy.level, 'info')
  t.match(
    lines.map((l) => JSON.parse(l)),
    [
      { reqId: 'r1', code: 'X', msg: 'one' },
      { reqId: 'r1', msg: 'two' },
    ],
  )
})

t.test('a lazy child is not made by reading its methods (Fastify checks each of a request logger)', async (t) => {
  const lines: string[] = []
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }))
  let made = 0
  const lazy = lazyChild(logger, () => (made++, { reqId: 'r2' }))
  for (const m of ['info', 'error', 'debug', 'fatal', 'warn', 'trace', 'child'] as const)
    t.equal(typeof lazy[m], 'function', m)
  t.equal(made, 0, 'reading the methods made nothing')
  const info = lazy.info
  info({ code: 'Y' }, 'read before, called after')
  lazy.child({ part: 'p' }).warn('from a child of it')
  t.equal(made, 1, 'made once, at its first line')
  t.match(
    lines.map((l) => JSON.parse(l)),
    [
      { reqId: 'r2', code: 'Y', msg: 'read before, called after' },
      { reqId: 'r2', part: 'p', msg: 'from a child of it' },
    ],
  )
})

t.test(
  "a request's lazy logger: its methods read without making a child, made at its first line at an enabled level",
  async (t) => {
    const lines: string[] = []
    const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }))
    let made = 0
    const lazy = new LazyRequestLogger(logger, () => (made++, { reqId: 'r3' }))
    for (const m of ['info', 'error', 'debug', 'fatal', 'warn', 'trace', 'child'] as const)
      t.equal(typeof lazy[m], 'function', m)
    t.equal(lazy.level, 'info')
    lazy.debug('below the level')
    t.equal(made, 0, 'reading its methods and a line below the level made nothing')
    lazy.warn({ code: 'Z' }, 'refused')
    lazy.child({ part: 'q' }).error('from a child of it')
    lazy.info('again')
    t.equal(made, 1, 'made once, at its first line')
    t.match(
      lines.map((l) => JSON.parse(l)),
      [
        { reqId: 'r3', code: 'Z', msg: 'refused', level: 40 },
        { reqId: 'r3', part: 'q', msg: 'from a child of it', level: 50 },
        { reqId: 'r3', msg: 'again', level: 30 },
      ],
    )
    const own = new LazyRequestLogger(logger, () => ({ reqId: 'r4' }), { level: 'debug' })
    own.debug('at its own level')
    t.match(JSON.parse(lines.at(-1)!), { reqId: 'r4', msg: 'at its own level' }, 'a level of its own is honoured')
  },
)
