// API tokens (issue #9): stored hashed (SHA-256 of 256 random bits), scoped read / operate /
// admin and per tenant, managed with `tamer tokens` and /api/tokens; config tokens keep working
// as read unless given a scope; an audit log of operator actions at GET /api/audit (admin).
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadCheckedConfig } from '../../src/compose/config.js'
import { manualTimers } from '../../src/work/timers.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { composeForTest } from '../support/app.js'
import { pushFor, tempDir, tokens, writeConfig } from '../support/operator.js'

const READ = 'config-read-token-0001'
const OPERATE = 'config-operate-token-01'
const ADMIN = 'config-admin-token-0001'
const RISK_ADMIN = 'config-risk-admin-token'

async function start(t: Parameters<typeof tempDir>[0] & { teardown(fn: () => unknown): void }) {
  const dir = tempDir(t)
  const file = writeConfig(dir, {
    api: {
      tokens: [
        READ,
        { token: OPERATE, scope: 'operate', name: 'on-call' },
        { token: ADMIN, scope: 'admin', name: 'ops-admin' },
        { token: RISK_ADMIN, scope: 'admin', name: 'risk-lead', tenants: ['risk'] },
      ],
    },
  })
  const config = loadCheckedConfig({ env: {}, file })
  const store = openSqliteStore({ file: join(config.dataDir, 'tamer.db') })
  // The notifier runs (on manual timers: a resend sends once, at once); nothing routes.
  const { app } = await composeForTest(config, { store, timers: manualTimers, hold: ['pipeline'] })
  t.teardown(async () => {
    await app.close()
    await store.close()
  })
  /** A dead letter of a tenant, as a failed send leaves it. */
  const deadNotice = async (tenant: string) => {
    const id = randomUUID()
    const repo = tenant === 'risk' ? 'risk-team/model' : 'acme-ds/model'
    // A real delivery and a build of it (not triggered), as the pipeline plans them.
    const d = await app.inject(pushFor(repo, 'shared-file-secret'))
    const deliveryId = d.json().id as string
    const [build] = await store.planDelivery({
      deliveryId,
      outcome: 'recorded',
      evaluation: [],
      builds: [
        {
          deliveryId,
          eventIndex: 0,
          rule: 'r',
          job: `j-${id}`,
          template: null,
          tenant,
          repository: repo,
          parameters: {},
          state: 'not-triggered',
          eventKey: null,
          provider: 'github',
          ref: 'refs/heads/main',
          branch: 'main',
          commitSha: null,
          pullRequest: null,
          acceptedAt: Date.now(),
        },
      ],
    })
    const buildId = build!.id
    await store.recordDecision(
      {
        buildId,
        threadKey: `${tenant}|x`,
        outcome: 'first-failure',
        notified: true,
        reason: 'test',
        decidedAt: Date.now(),
      },
      [
        {
          id,
          buildId,
          tenant,
          repository: `${tenant}/x`,
          branch: 'main',
          channel: 'email',
          kind: 'email',
          outcome: 'first-failure',
          recipients: ['a@example.com'],
          subject: `${tenant}/x failed`,
          payload: {},
        },
      ],
      Date.now(),
    )
    await store.updateNotification(id, 'pending', { state: 'sending', attempts: 1 })
    await store.updateNotification(id, 'sending', { state: 'dead', lastError: 'SMTP 550' })
    return id
  }
  const as = (token: string) => ({ authorization: `Bearer ${token}` })
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: unknown) =>
    app.inject({ method, url, headers: as(token), ...(payload ? { payload: payload as object } : {}) })
  return { dir, file, config, store, app, deadNotice, call }
}

t.test(
  'scopes: config tokens are read unless given one; operate may resend, admin may also read the audit log',
  async (t) => {
    const s = await start(t)
    const id = await s.deadNotice('risk')
    t.equal((await s.call('GET', '/api/notifications', READ)).statusCode, 200, 'a plain config token still reads')
    const denied = await s.call('POST', `/api/notifications/${id}/resend`, READ)
    t.equal(denied.statusCode, 403)
    t.match(denied.json(), { code: 'TAMER_FORBIDDEN', message: 'This token has the read scope; this needs operate' })
    t.match(await s.store.getNotification(id), { state: 'dead' }, 'nothing changed')
    t.equal((await s.call('GET', '/api/audit', OPERATE)).statusCode, 403, 'operate does not read the audit log')
    t.equal((await s.call('GET', '/api/tokens', OPERATE)).statusCode, 403)
    const resent = await s.call('POST', `/api/notifications/${id}/resend`, OPERATE)
    t.equal(resent.statusCode, 202)
    t.match(resent.json(), { id, state: 'pending' })
    const audit = await s.call('GET', '/api/audit', ADMIN)
    t.equal(audit.statusCode, 200)
    t.match(audit.json().items, [
      { actor: 'config:on-call', action: 'notification.resend', target: id, tenant: 'risk', at: /^\d{4}-/ },
    ])
    t.equal((await s.app.inject({ method: 'GET', url: '/api/audit' })).statusCode, 401)
  },
)

t.test('tamer tokens: hashed at rest, scoped per tenant, revoked at once on a running server', async (t) => {
  const s = await start(t)
  const created = await tokens(['create', '--name', 'risk dashboard', '--tenant', 'risk', '--config', s.file])
  t.equal(created.code, 0, created.err)
  const token = created.out.trim()
  t.match(token, /^tmr_[A-Za-z0-9_-]{43}$/, 'only the token on stdout, 256 bits')
  t.match(created.err, /token [0-9a-f]{16} \(risk dashboard\), scope read, tenants risk; it is shown once/)
  const db = ['', '-wal']
    .map((x) => join(s.config.dataDir, `tamer.db${x}`))
    .filter(existsSync)
    .map((f) => readFileSync(f).toString('latin1'))
    .join('')
  t.notMatch(db, token, 'the token is not in the SQLite file')
  t.notMatch(db, token.slice(4, 20))

  // Deliveries of two tenants; the token sees risk's only.
  t.equal((await s.app.inject(pushFor('risk-team/model', 'shared-file-secret'))).statusCode, 202)
  t.equal((await s.app.inject(pushFor('acme-ds/model', 'shared-file-secret'))).statusCode, 202)
  const seen = await s.call('GET', '/api/deliveries', token)
  t.equal(seen.statusCode, 200)
  t.same(
    seen.json().items.map((d: { tenant: string }) => d.tenant),
    ['risk'],
  )
  const other = (await s.call('GET', '/api/deliveries', ADMIN))
    .json()
    .items.find((d: { tenant: string }) => d.tenant === 'ds')
  t.equal(
    (await s.call('GET', `/api/deliveries/${other.id}`, token)).statusCode,
    404,
    "another tenant's delivery is a 404",
  )
  t.equal(
    (await s.call('POST', `/api/notifications/${await s.deadNotice('risk')}/resend`, token)).statusCode,
    403,
    'read scope by default',
  )

  const list = await tokens(['list', '--config', s.file])
  const id = /token ([0-9a-f]{16})/.exec(created.err)![1]!
  t.match(list.out, new RegExp(`^${id}\\trisk dashboard\\tread\\trisk\\tcreated .* by cli:ops-alice\\n$`))
  t.notMatch(list.out, token)
  const revoked = await tokens(['revoke', id, '--config', s.file])
  t.equal(revoked.code, 0, revoked.err)
  t.equal((await s.call('GET', '/api/deliveries', token)).statusCode, 401, 'refused at once, without a restart')
  t.equal((await tokens(['revoke', id, '--config', s.file])).code, 1, 'revoked once')
  t.match((await tokens(['list', '--config', s.file])).out, /\trevoked /)

  const bad = await tokens(['create', '--name', 'x', '--scope', 'root', '--config', s.file])
  t.equal(bad.code, 2)
  t.match(bad.err, /scope must be one of read, operate, admin \(TAMER_BAD_TOKEN_REQUEST\)/)
  t.match(
    (await tokens(['create', '--name', 'x', '--tenant', 'nobody', '--config', s.file])).err,
    /tenant nobody is not configured/,
  )

  const audit = (await s.call('GET', '/api/audit', ADMIN))
    .json()
    .items.map((e: { actor: string; action: string; target: string }) => `${e.actor} ${e.action} ${e.target}`)
  t.same(audit, [`cli:ops-alice token.revoke ${id}`, `cli:ops-alice token.create ${id}`], 'CLI actions are audited')
})

t.test('/api/tokens: admin creates, lists and revokes; a tenant-limited admin only within its tenants', async (t) => {
  const s = await start(t)
  const made = await s.call('POST', '/api/tokens', ADMIN, {
    name: 'risk operator',
    scope: 'operate',
    tenants: ['risk'],
  })
  t.equal(made.statusCode, 201)
  t.equal(made.headers['cache-control'], 'no-store')
  const { id, token } = made.json()
  t.match(made.json(), {
    name: 'risk operator',
    scope: 'operate',
    tenants: ['risk'],
    createdBy: 'config:ops-admin',
    revokedAt: null,
  })
  t.notOk('hash' in made.json())

  const riskNotice = await s.deadNotice('risk')
  const dsNotice = await s.deadNotice('ds')
  t.equal(
    (await s.call('POST', `/api/notifications/${riskNotice}/resend`, token)).statusCode,
    202,
    'operate in its tenant',
  )
  t.equal((await s.call('POST', `/api/notifications/${dsNotice}/resend`, token)).statusCode, 404, 'another tenant: 404')
  t.equal((await s.call('GET', '/api/audit', token)).statusCode, 403)

  const listed = (await s.call('GET', '/api/tokens', ADMIN)).json().items
  t.match(listed, [{ id, name: 'risk operator', scope: 'operate', tenants: ['risk'] }])
  t.notMatch(JSON.stringify(listed), token)
  t.notMatch(JSON.stringify(listed), /"hash"/)

  // A tenant-limited admin: only tokens for its tenants, only their audit entries.
  t.equal(
    (await s.call('POST', '/api/tokens', RISK_ADMIN, { name: 'everything' })).statusCode,
    400,
    'no all-tenant token',
  )
  t.match((await s.call('POST', '/api/tokens', RISK_ADMIN, { name: 'ds', tenants: ['ds'] })).json(), {
    code: 'TAMER_BAD_TOKEN_REQUEST',
    message: /can only make tokens for those tenants/,
  })
  const dsToken = (await s.call('POST', '/api/tokens', ADMIN, { name: 'ds reader', tenants: ['ds'] })).json()
  t.same(
    (await s.call('GET', '/api/tokens', RISK_ADMIN)).json().items.map((x: { name: string }) => x.name),
    ['risk operator'],
  )
  t.equal(
    (await s.call('DELETE', `/api/tokens/${dsToken.id}`, RISK_ADMIN)).statusCode,
    404,
    "another tenant's token is a 404",
  )
  const riskAudit = (await s.call('GET', '/api/audit', RISK_ADMIN)).json().items
  t.ok(riskAudit.length >= 2)
  t.ok(
    riskAudit.every((e: { tenant: string }) => e.tenant === 'risk'),
    'only its tenant in the audit log',
  )
  t.equal((await s.call('DELETE', `/api/tokens/${id}`, RISK_ADMIN)).statusCode, 204)
  t.equal((await s.call('GET', '/api/notifications', token)).statusCode, 401, 'revoked')
  t.equal((await s.call('DELETE', `/api/tokens/${id}`, ADMIN)).statusCode, 404, 'once')
  t.match((await s.call('POST', '/api/tokens', ADMIN, { name: 'x', scope: 'root' })).json(), { statusCode: 400 })

  const all = (await s.call('GET', '/api/audit?limit=2', ADMIN)).json()
  t.equal(all.items.length, 2)
  t.match(all.items[0], { action: 'token.revoke', target: id, actor: 'config:risk-lead' })
  const next = (await s.call('GET', `/api/audit?cursor=${all.nextCursor}`, ADMIN)).json()
  t.same(
    next.items.map((e: { action: string }) => e.action),
    ['notification.resend', 'token.create'],
  )
  t.match(next.items[0], { actor: `token:${id} (risk operator)`, tenant: 'risk' })
  t.match(next.items[1], {
    actor: 'config:ops-admin',
    detail: { name: 'risk operator', scope: 'operate', tenants: ['risk'] },
  })
})
