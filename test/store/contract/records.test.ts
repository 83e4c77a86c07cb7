// The rest of the store on both engines: sealed secrets, API tokens and the audit log; metric
// reports and the green baseline; the branch registry and schedule slots; stored push diffs.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import type { ServiceStore } from '../../../src/store/service-store.js'
import { delivery, eachEngine, planned } from './engines.js'

const audit = (action: string, tenant: string | null = null) => ({
  actor: 'test',
  action,
  target: 'x',
  tenant,
  detail: { n: 1 },
})

const sealed = (fill: number) => ({
  keyId: `k${fill}`,
  iv: Buffer.alloc(12, fill),
  ciphertext: Buffer.alloc(20, fill),
  tag: Buffer.alloc(16, fill),
})

eachEngine(t, 'secrets, tokens and their audit entries', async (t, engine) => {
  const store = await engine.open()
  const secret = (name: string) => ({
    name,
    kind: 'github-secret',
    tenant: null,
    url: null,
    username: null,
    ...sealed(1),
  })
  await store.putSecret(secret('b'), audit('secret.set'))
  await store.putSecret(secret('a'), audit('secret.set'))
  await store.putSecret({ ...secret('a'), ...sealed(2) }, audit('secret.set'))
  const listed = await store.listSecrets()
  t.same(
    listed.map((s) => [s.name, s.keyId]),
    [
      ['a', 'k2'],
      ['b', 'k1'],
    ],
  )
  t.ok(Buffer.isBuffer(listed[0]!.ciphertext) && listed[0]!.ciphertext.equals(Buffer.alloc(20, 2)))
  await t.rejects(
    store.resealSecrets([{ name: 'a', before: Buffer.alloc(20, 2), sealed: sealed(3) }], audit('secrets.rotate')),
    { code: 'TAMER_ROTATION_FAILED' },
    'a secret left out: refused',
  )
  await t.rejects(
    store.resealSecrets(
      [
        { name: 'a', before: Buffer.alloc(20, 2), sealed: sealed(3) },
        { name: 'b', before: Buffer.alloc(20, 9), sealed: sealed(3) },
      ],
      audit('secrets.rotate'),
    ),
    { code: 'TAMER_ROTATION_FAILED' },
    'a changed ciphertext: refused',
  )
  t.same(
    (await store.listSecrets()).map((s) => s.keyId),
    ['k2', 'k1'],
    'a refused rotation changed nothing',
  )
  const rotated = await store.resealSecrets(
    [
      { name: 'a', before: Buffer.alloc(20, 2), sealed: sealed(3) },
      { name: 'b', before: Buffer.alloc(20, 1), sealed: sealed(3) },
    ],
    audit('secrets.rotate'),
  )
  t.equal(rotated, 2)
  t.equal(await store.deleteSecret('a', audit('secret.delete')), true)
  t.equal(await store.deleteSecret('a', audit('secret.delete')), false)

  const token = {
    id: 'tok-1',
    name: 'one',
    access: 'read' as const,
    tenants: ['risk'],
    hash: 'a'.repeat(64),
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'test',
  }
  await store.createApiToken(token, audit('token.create', 'risk'))
  await t.rejects(store.createApiToken(token, audit('token.create')), /unique|constraint|duplicate/i)
  t.match(await store.findApiToken('a'.repeat(64)), { id: 'tok-1', tenants: ['risk'], revokedAt: null })
  t.equal(await store.revokeApiToken('tok-1', audit('token.revoke')), true)
  t.equal(await store.revokeApiToken('tok-1', audit('token.revoke')), false)
  t.equal(await store.findApiToken('a'.repeat(64)), null)
  t.match(await store.listApiTokens(), [{ id: 'tok-1', revokedAt: /^\d{4}-/ }])
  await store.recordAudit(audit('x'))
  const entries = await store.listAudit({ limit: 100 })
  t.same(
    entries.map((e) => e.action),
    ['x', 'token.revoke', 'token.create', 'secret.delete', 'secrets.rotate', 'secret.set', 'secret.set', 'secret.set'],
    'every change and only those, newest first',
  )
  t.same(
    (await store.listAudit({ limit: 10, tenants: ['risk'] })).map((e) => e.action),
    ['token.create'],
  )
  t.match(entries[0], { detail: { n: 1 }, id: String, at: /^\d{4}-/ })
})

async function finishedBuild(store: ServiceStore, key: string, result: string, branch = 'main') {
  const { id } = await store.recordDelivery(delivery(key))
  const b = planned(id, { ref: `refs/heads/${branch}`, branch, commitSha: 'c'.repeat(40) })
  const [build] = await store.planDelivery({ deliveryId: id, outcome: 'triggered', evaluation: [], builds: [b] })
  await store.updateBuild(build!.id, { state: 'finished', result })
  return build!
}

eachEngine(t, 'metric reports: newest first, and the branch baseline of a green build', async (t, engine) => {
  const store = await engine.open()
  const green = await finishedBuild(store, 'm1', 'SUCCESS')
  const red = await finishedBuild(store, 'm2', 'FAILURE')
  const report = (buildId: string, auc: number, pass: boolean) => ({
    buildId,
    tenant: 'default',
    repository: 'acme/r',
    branch: 'main',
    commitSha: 'c'.repeat(40),
    job: 'j',
    buildNumber: 1,
    metrics: { auc },
    pass,
    verdict: { pass },
  })
  const saved = await store.saveMetricReport(report(green.id, 0.81, true))
  t.match(saved, { seq: Number, buildId: green.id, metrics: { auc: 0.81 }, pass: true, reportedAt: /^\d{4}-/ })
  await store.saveMetricReport(report(red.id, 0.7, false))
  t.same(
    (await store.listMetricReports({ repository: 'acme/r', limit: 10 })).map((r) => r.metrics.auc),
    [0.7, 0.81],
  )
  t.same(await store.listMetricReports({ repository: 'acme/r', tenants: [], limit: 10 }), [])
  t.equal((await store.latestMetricReport(red.id))?.pass, false)
  t.equal((await store.latestGreenMetricReport('default', 'acme/r', 'main', red.id))?.buildId, green.id)
  t.equal(await store.latestGreenMetricReport('default', 'acme/r', 'main', green.id), null)

  // Parity results (issue #15 item 3): the latest per build, the result kept as given.
  t.equal(await store.latestParityReport(red.id), null)
  const { metrics: _m, verdict: _v, ...parity } = report(red.id, 0, false)
  await store.saveParityReport({ ...parity, result: { pass: false, reasons: ['row count: 3 in the reference'] } })
  const latest = await store.saveParityReport({ ...parity, pass: true, result: { pass: true, reasons: [] } })
  t.match(latest, { seq: Number, buildId: red.id, pass: true, reportedAt: /^\d{4}-/ })
  t.same(await store.latestParityReport(red.id), latest)
})

eachEngine(t, 'the branch registry: pushes, the remote listing, choices and schedule slots', async (t, engine) => {
  const store = await engine.open()
  const key = { tenant: 'default', provider: 'github' as const, repository: 'acme/r' }
  const head = (sha: string) => ({
    commitSha: sha,
    authorName: 'Ada',
    authorEmail: 'ada@example.com',
    committedAt: null,
  })
  const change = (branch: string, at: string, deleted = false) => ({
    ...key,
    ...head(branch.padEnd(40, '0')),
    branch,
    deleted,
    at,
    defaultBranch: 'main',
  })
  const changed = await store.applyBranchChanges(
    [change('main', '2026-01-01T00:00:00Z'), change('feature', '2026-01-02T00:00:00Z')],
    7,
  )
  t.same(changed, [key])
  t.equal(await store.branchCursor(), 7)
  // Deliveries up to the cursor were applied (by another replica's pass, on PostgreSQL): not applied again.
  t.same(await store.applyBranchChanges([change('feature', '2026-01-03T00:00:00Z', true)], 5), [], 'skipped')
  t.equal(await store.branchCursor(), 7, 'the cursor never moves back')
  t.match(await store.getBranch(key, 'feature'), { deletedAt: null, pushedAt: '2026-01-02T00:00:00Z' }, 'not deleted')
  t.same(await store.applyBranchChanges([change('feature', '2026-01-03T00:00:00Z')], 8), [], 'no new branch')
  t.equal(await store.branchCursor(), 8)
  t.same(await store.branchChoices(key, 10), ['main', 'feature'], 'the default branch first')
  t.match(await store.findRepositories('acme/r'), [{ ...key, defaultBranch: 'main', branches: 2 }])
  t.match(await store.getBranch(key, 'feature'), { source: 'push', pushedAt: '2026-01-03T00:00:00Z' })
  t.same(await store.applyBranchChanges([change('feature', '2026-01-04T00:00:00Z', true)], null), [key])
  // Read again after each change (SQLite keeps the choices a trigger asks for until a branch write).
  t.same(await store.branchChoices(key, 10), ['main'], 'a deleted branch is no longer a choice')
  t.same(
    (await store.listBranches({ repository: 'acme/r', state: 'deleted', limit: 10 })).map((b) => b.branch),
    ['feature'],
  )
  const listed = await store.applyRemoteListing({
    ...key,
    defaultBranch: 'main',
    branches: [
      { branch: 'main', ...head('main'.padEnd(40, '0')) },
      { branch: 'dev', ...head('d'.repeat(40)) },
    ],
    at: '2026-01-05T00:00:00Z',
  })
  t.equal(listed, true)
  t.same((await store.branchChoices(key, 10)).sort(), ['dev', 'main'], "the remote's listing is the choices")
  t.same(
    (await store.listBranches({ repository: 'acme/r', state: 'live', limit: 10 })).map((b) => b.branch),
    ['dev', 'main'],
    'most recently changed first',
  )
  t.match(await store.listRepositories({ limit: 10 }), [{ repository: 'acme/r', syncedAt: /^\d{4}-/, branches: 2 }])
  await finishedBuild(store, 'lb', 'SUCCESS', 'dev')
  t.match(Object.fromEntries(await store.lastBuilds(key, ['dev', 'main'])), {
    dev: [{ rule: 'r', job: 'j', state: 'finished', result: 'SUCCESS' }],
    main: [],
  })
  // Another tenant's repository of the same name: each counts its own live branches.
  await store.applyBranchChanges([{ ...change('x', '2026-01-06T00:00:00Z'), tenant: 'other' }], null)
  t.match(await store.findRepositories('acme/r'), [
    { tenant: 'other', branches: 1 },
    { tenant: 'default', branches: 2 },
  ])
  t.same(await store.jobsOf(key), [])
  t.equal(await store.recordScheduleSlot('nightly', '2026-01-02T00:00:00.000Z'), true)
  t.equal(await store.recordScheduleSlot('nightly', '2026-01-01T00:00:00.000Z'), false, 'never moves back')
  t.equal(await store.scheduleSlot('nightly'), '2026-01-02T00:00:00.000Z')
  t.equal(await store.scheduleSlot('other'), null)
})

eachEngine(t, 'push diffs: bytes round-trip per delivery and variant; a save replaces; prune', async (t, engine) => {
  let store = await engine.open()
  const { id } = await store.recordDelivery(delivery('pd'))
  const payload = randomBytes(3 * 2 ** 20)
  t.equal(await store.getPushDiff(id, 'native-x-f1'), null, 'nothing stored yet')
  // Queued with a build write, so both go in one batch.
  await Promise.all([
    store.savePushDiff({ deliveryId: id, variant: 'native-x-f1', payload, rawBytes: 9_000_000 }),
    store.updateBuild('no-such-build', { attempts: 1 }),
  ])
  const got = await store.getPushDiff(id, 'native-x-f1')
  t.ok(got && payload.equals(got.payload), 'the same bytes come back')
  t.match(got, { deliveryId: id, variant: 'native-x-f1', rawBytes: 9_000_000, createdAt: /^\d{4}-\d\d-\d\dT/ })
  t.equal(await store.getPushDiff(id, 'nbdime-x-f1'), null, 'another variant is a miss')
  t.equal(await store.getPushDiff('other-delivery', 'native-x-f1'), null, 'another delivery is a miss')
  await store.savePushDiff({ deliveryId: id, variant: 'native-x-f1', payload: Buffer.from('mended'), rawBytes: 6 })
  t.equal((await store.getPushDiff(id, 'native-x-f1'))?.payload.toString(), 'mended', 'a save replaces the row')
  await store.close()
  await t.rejects(
    store.savePushDiff({ deliveryId: id, variant: 'v', payload: Buffer.from('x'), rawBytes: 1 }),
    /closed/,
    'a closed store refuses the write',
  )
  store = await engine.open()
  t.equal((await store.getPushDiff(id, 'native-x-f1'))?.payload.toString(), 'mended', 'survives a restart')
  t.equal(await store.prunePushDiffs('2000-01-01T00:00:00Z'), 0)
  t.equal(await store.prunePushDiffs('2999-01-01T00:00:00Z'), 1)
  t.equal(await store.getPushDiff(id, 'native-x-f1'), null)
})

eachEngine(
  t,
  'sign-offs: created once per build and input, each party decides once; queue stats',
  async (t, engine) => {
    const store = await engine.open()
    const build = await finishedBuild(store, 'so', 'SUCCESS')
    const signoff = {
      id: 'so-1',
      buildId: build.id,
      tenant: 'default',
      repository: 'acme/r',
      environment: 'prod',
      inputId: 'TamerSignoff',
      message: 'Deploy?',
      parties: ['a@example.com', 'b@example.com'],
      expiresAt: 9_000_000_000_000,
    }
    const created = await store.createSignoff(signoff, [], audit('signoff.request'))
    t.match(created, {
      created: true,
      signoff: { id: 'so-1', state: 'waiting', parties: [{ party: 'a@example.com' }, {}] },
    })
    t.match(await store.createSignoff({ ...signoff, id: 'so-2' }, [], audit('signoff.request')), {
      created: false,
      signoff: { id: 'so-1' },
    })
    // The outcome's notices are stored only by the decision that settles the sign-off, for the state it settles to.
    const outcomeNotice = (id: string) => ({
      id,
      buildId: build.id,
      tenant: 'default',
      repository: 'acme/r',
      branch: 'main',
      channel: 'team',
      kind: 'slack',
      outcome: 'signoff-approved',
      recipients: [],
      subject: id,
      payload: { text: id },
    })
    const settled = (n: string) => ({
      approved: [outcomeNotice(`${n}-approved`)],
      rejected: [outcomeNotice(`${n}-rejected`)],
    })
    t.match(await store.decideSignoff('so-1', 'a@example.com', 'approved', audit('signoff.approve'), settled('a')), {
      outcome: 'recorded',
      signoff: { state: 'waiting' },
    })
    t.same(await store.listNotifications({ buildId: build.id, limit: 10 }), [], 'not settled: no outcome notice')
    t.match(await store.decideSignoff('so-1', 'a@example.com', 'rejected', audit('x')), { outcome: 'already-used' })
    t.match(await store.decideSignoff('so-1', 'c@example.com', 'approved', audit('x')), { outcome: 'not-a-party' })
    t.match(await store.decideSignoff('so-1', 'b@example.com', 'approved', audit('signoff.approve'), settled('b')), {
      outcome: 'recorded',
      signoff: { state: 'approved', decidedAt: /^\d{4}-/ },
    })
    t.match(
      (await store.listNotifications({ buildId: build.id, limit: 10 })).map((n) => [n.id, n.state]),
      [['b-approved', 'pending']],
      'the settling decision stored its outcome notice, in the same write',
    )
    t.same(
      (await store.unsettledSignoffs(10)).map((s) => s.id),
      ['so-1'],
    )
    await store.recordSignoffAction('so-1', { action: 'proceed', error: null, audit: audit('signoff.proceed') })
    t.same(await store.unsettledSignoffs(10), [])
    t.match(await store.signoffsOfBuild(build.id), [{ id: 'so-1', jenkinsAction: 'proceed' }])

    await store.recordDelivery(delivery('queued'))
    const stats = await store.queueStats()
    t.match(
      stats.find((s) => s.queue === 'deliveries' && s.state === 'pending'),
      { depth: 1, oldestAt: /^\d{4}-/ },
    )
    t.match(
      stats.find((s) => s.queue === 'builds' && s.state === 'running'),
      { depth: 0, oldestAt: null },
    )
    t.same(await store.deadLetters(10), [])
  },
)
