// The build's subject is typed (issue #10): builds planned before the upgrade get theirs from
// the stored event (migration 11), and a notice names the branch and commit of the subject even
// where the build's Jenkins parameters say otherwise (a rule used to be able to override them).
// One name per id: stored events call the host's GUID hostDeliveryId (migration 12).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import t from 'tap'
import { createLogger } from '../../src/logging.js'
import { createNotifier, type NotifyingStore } from '../../src/notify/notifier.js'
import { manualTimers } from '../../src/work/timers.js'
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { testConfig } from '../support/app.js'
import { startHttpPeer } from '../support/notify/peers.js'
import { SHA_A, SHA_B } from '../support/payloads.js'

const repository = {
  fullName: 'acme-ds/churn-model',
  cloneUrl: { https: null, ssh: null },
  webUrl: null,
  defaultBranch: 'main',
}
const person = { name: 'Ada', email: 'ada@example.com', username: 'ada' }
const base = {
  provider: 'github',
  hostDeliveryId: null,
  tenant: 'default',
  repository,
  receivedAt: '2026-01-01T00:00:00Z',
}
const push = (ref: string) => ({
  ...base,
  kind: 'push',
  ref,
  refType: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
  branch: ref.startsWith('refs/heads/') ? ref.slice(11) : null,
  tag: ref.startsWith('refs/tags/') ? ref.slice(10) : null,
  before: SHA_A,
  after: SHA_B,
  created: false,
  deleted: false,
  forced: false,
  commits: [
    {
      id: SHA_B,
      message: 'train on more data',
      timestamp: null,
      url: null,
      author: person,
      added: [],
      modified: ['nb.ipynb'],
      removed: [],
    },
  ],
  totalCommits: 1,
  filesKnown: true,
  pusher: person,
})
const pullRequest = {
  ...base,
  kind: 'pull_request',
  action: 'opened',
  number: 42,
  title: 'More data',
  source: { branch: 'feature/data', sha: 'c'.repeat(40), repositoryFullName: 'acme-ds/churn-model', cloneUrl: null },
  target: { branch: 'main', sha: SHA_A },
  author: person,
  url: null,
}

/**
 * A database as Tamer left it before migration 11, with builds planned by a rule that overrode BRANCH and COMMIT_SHA.
 */
function versionTenDatabase(file: string): void {
  const db = new BetterSqlite3(file)
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)')
  for (const m of MIGRATIONS.filter((m) => m.version < 11)) {
    db.exec(m.sql)
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      m.version,
      m.name,
      new Date().toISOString(),
    )
  }
  const delivery = db.prepare(
    `INSERT INTO deliveries (id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status, headers, body, normalized, received_at, updated_at)
     VALUES (?, 'github', ?, NULL, ?, 'default', 'acme-ds/churn-model', 'processed', '{}', x'7b7d', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
  )
  delivery.run('d-push', 'k1', 'push', JSON.stringify({ kind: 'events', events: [push('refs/heads/main')] }))
  delivery.run('d-tag', 'k2', 'push', JSON.stringify({ kind: 'events', events: [push('refs/tags/v1.0')] }))
  delivery.run('d-pr', 'k3', 'pull_request', JSON.stringify({ kind: 'events', events: [pullRequest] }))
  delivery.run('d-gone', 'k4', 'push', JSON.stringify({ kind: 'ignored', reason: 'event no longer readable' }))
  const build = db.prepare(
    `INSERT INTO builds (id, delivery_id, event_index, rule, job, template, tenant, repository, parameters, delivery_param, state,
       attempts, accepted_at, created_at, updated_at, event_key)
     VALUES (?, ?, 0, 'r', ?, NULL, 'default', 'acme-ds/churn-model', ?, ?, 'running', 1, 0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?)`,
  )
  const overridden = (id: string) =>
    JSON.stringify({ BRANCH: 'evil', COMMIT_SHA: 'x', PROVIDER: 'github', DELIVERY_ID: id })
  build.run(
    'b-push',
    'd-push',
    'ds/main',
    overridden('d-push'),
    'd-push',
    `github|acme-ds/churn-model|refs/heads/main|${SHA_A}|${SHA_B}`,
  )
  build.run('b-tag', 'd-tag', 'ds/tags', overridden('d-tag'), 'd-tag', null)
  build.run('b-pr', 'd-pr', 'ds/pr', overridden('d-pr'), 'd-pr', null)
  build.run(
    'b-gone',
    'd-gone',
    'ds/gone',
    JSON.stringify({ BRANCH: 'main', COMMIT_SHA: SHA_B, PROVIDER: 'github', DELIVERY_ID: 'd-gone' }),
    'd-gone',
    null,
  )
  db.close()
}

t.test('migration 11 gives builds planned before it their subject, from the stored event where it reads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-subject-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tamer.db')
  versionTenDatabase(file)
  const store = openSqliteStore({ file })
  t.teardown(() => store.close())

  t.match(
    await store.getBuild('b-push'),
    {
      provider: 'github',
      tenant: 'default',
      repository: 'acme-ds/churn-model',
      ref: 'refs/heads/main',
      branch: 'main',
      commitSha: SHA_B,
      pullRequest: null,
    },
    'a push: from its event, not the overridden parameters',
  )
  t.match(
    await store.getBuild('b-tag'),
    { ref: 'refs/tags/v1.0', branch: null, commitSha: SHA_B, pullRequest: null },
    'a tag: no branch',
  )
  t.match(
    await store.getBuild('b-pr'),
    { ref: 'refs/heads/feature/data', branch: 'feature/data', commitSha: 'c'.repeat(40), pullRequest: 42 },
    'a pull request: its source branch and head, and its number',
  )
  t.match(
    await store.getBuild('b-gone'),
    { provider: 'github', ref: null, branch: 'main', commitSha: SHA_B, pullRequest: null },
    'no readable event: from the parameters',
  )
  t.match(
    await store.getBuild('b-push'),
    { parameters: { BRANCH: 'evil', COMMIT_SHA: 'x' } },
    'the parameters themselves are kept as sent',
  )
})

t.test("a notice's branch and commit come from the subject, whatever the Jenkins parameters say", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-subject-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tamer.db')
  versionTenDatabase(file)
  const http = await startHttpPeer()
  t.teardown(() => http.close())
  const store = openSqliteStore({ file }) as NotifyingStore
  t.teardown(() => store.close())
  const config = testConfig({
    notifications: {
      channels: [{ name: 'hook', type: 'webhook', url: `${http.url}/hook` }],
      rules: [{ repository: 'acme-ds/*', on: ['first-failure'], culprits: false, channels: ['hook'] }],
    },
  })
  const notifier = createNotifier({
    config,
    store,
    logger: createLogger('silent'),
    now: Date.now,
    timers: manualTimers,
  })
  await notifier.start()
  t.teardown(() => notifier.stop())

  // Planned before the upgrade (parameters BRANCH=evil, COMMIT_SHA=x), finished after it.
  await store.updateBuild('b-push', { state: 'finished', result: 'FAILURE', buildNumber: 7 })
  await notifier.drain()
  t.equal(http.requests.length, 1, 'one notice')
  const notice = http.requests[0]!.body.notice
  t.equal(notice.branch, 'main', 'the branch of the push')
  t.equal(notice.range.to, SHA_B, 'the commit of the push')
  t.match(notice.repository, 'acme-ds/churn-model')
  const [stored] = await store.listNotifications({ limit: 5 })
  t.equal(stored?.branch, 'main', 'the stored notice too')
})

t.test(
  "migration 12 renames a stored event's host GUID from deliveryId to hostDeliveryId, keeping the events' order",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tamer-subject-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'tamer.db')
    versionTenDatabase(file)
    const old = new BetterSqlite3(file)
    const legacy = (ref: string, guid: string | null) => {
      const { hostDeliveryId: _, ...rest } = push(ref)
      return { ...rest, deliveryId: guid }
    }
    old
      .prepare(
        `INSERT INTO deliveries (id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status, headers, body, normalized, received_at, updated_at)
     VALUES ('d-legacy', 'github', 'k9', 'guid-9', 'push', 'default', 'acme-ds/churn-model', 'processed', '{}', x'7b7d', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
      )
      .run(
        JSON.stringify({
          kind: 'events',
          events: ['a', 'b', 'c'].map((x) => legacy(`refs/heads/${x}`, 'guid-9')),
          skipped: { kept: 3, skipped: 1, reason: 'r' },
        }),
      )
    old.close()
    const store = openSqliteStore({ file })
    t.teardown(() => store.close())
    const d = (await store.getDelivery('d-legacy'))!
    t.equal(d.hostDeliveryId, 'guid-9')
    if (d.normalized.kind !== 'events') throw new Error('events expected')
    t.same(
      d.normalized.events.map((e) => [e.kind === 'push' ? e.ref : null, e.hostDeliveryId, 'deliveryId' in e]),
      [
        ['refs/heads/a', 'guid-9', false],
        ['refs/heads/b', 'guid-9', false],
        ['refs/heads/c', 'guid-9', false],
      ],
    )
    t.match(d.normalized, { skipped: { kept: 3, skipped: 1 } }, 'the rest of the row is kept')
    t.match(
      await store.getDelivery('d-gone'),
      { normalized: { kind: 'ignored', reason: 'event no longer readable' } },
      'rows without events are left alone',
    )
  },
)
