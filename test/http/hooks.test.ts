// Deliveries through the real route and the real SQLite store, one host at a time.
import t from 'tap'
import type { PullRequestEvent, PushEvent } from '../../src/events/model.js'
import { SECRETS, startTestApp, testConfig, type TestApp } from '../support/app.js'
import * as P from '../support/payloads.js'
import {
  signedBitbucketCloud,
  signedBitbucketServer,
  signedGitHub,
  signedGitLab,
  signedGitLabStandard,
  type SignedDelivery,
} from '../support/sign.js'

async function post(h: TestApp, route: string, d: SignedDelivery) {
  return h.app.inject({ method: 'POST', url: `/hooks/${route}`, headers: d.headers, payload: d.body })
}

async function stored(h: TestApp, id: string) {
  const d = await h.store.getDelivery(id)
  if (!d) throw new Error(`delivery ${id} not stored`)
  return d
}

async function count(h: TestApp) {
  return (await h.store.listDeliveries({ limit: 1000 })).length
}

t.test('GitHub push is stored before the 202 and normalized', async (t) => {
  const h = await startTestApp(t)
  const d = signedGitHub('push', P.githubPush(), { delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958' })
  const res = await post(h, 'github', d)
  t.equal(res.statusCode, 202)
  const { id } = res.json()
  const row = await stored(h, id)
  t.equal(row.status, 'pending')
  t.equal(row.hostDeliveryId, '72d3162e-cc78-11e3-81ab-4c9367dc0958')
  t.equal(row.repository, 'acme-ds/churn-model')
  t.notOk('x-hub-signature-256' in row.headers, 'signature header not kept')
  t.equal(row.headers['x-github-event'], 'push')
  t.equal(row.normalized.kind, 'events')
  const ev = (row.normalized as { events: PushEvent[] }).events[0]!
  t.equal(ev.hostDeliveryId, '72d3162e-cc78-11e3-81ab-4c9367dc0958', "the event names the host's GUID hostDeliveryId")
  t.notOk('deliveryId' in ev, "deliveryId is Tamer's id only")
  const api = (
    await h.app.inject({
      method: 'GET',
      url: `/api/deliveries/${id}`,
      headers: { authorization: `Bearer ${SECRETS.api}` },
    })
  ).json()
  t.match(
    api,
    {
      id,
      hostDeliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      normalized: { events: [{ hostDeliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' }] },
    },
    'and so does the API',
  )
  t.match(ev, {
    kind: 'push',
    provider: 'github',
    tenant: 'default',
    ref: 'refs/heads/main',
    refType: 'branch',
    branch: 'main',
    tag: null,
    before: P.SHA_A,
    after: P.SHA_B,
    created: false,
    deleted: false,
    forced: false,
    filesKnown: true,
    totalCommits: 1,
    pusher: { name: 'ada', email: 'ada@example.com', username: 'ada' },
    repository: {
      fullName: 'acme-ds/churn-model',
      cloneUrl: { https: 'https://github.com/acme-ds/churn-model.git', ssh: 'git@github.com:acme-ds/churn-model.git' },
      webUrl: 'https://github.com/acme-ds/churn-model',
      defaultBranch: 'main',
    },
  })
  t.same(ev.commits[0], {
    id: P.SHA_B,
    message: 'Retrain with the March data\n\nAUC 0.81 -> 0.84',
    timestamp: '2026-11-20T10:15:40+01:00',
    url: `https://github.com/acme-ds/churn-model/commit/${P.SHA_B}`,
    author: { name: 'Ada Lovelace', email: 'ada@example.com', username: 'ada' },
    added: ['notebooks/eval.ipynb'],
    modified: ['notebooks/train.ipynb', 'requirements.txt'],
    removed: [],
  })
})

t.test('GitHub form-encoded delivery (payload=) verifies over the form body', async (t) => {
  const h = await startTestApp(t)
  const form = `payload=${encodeURIComponent(JSON.stringify(P.githubPush()))}`
  const d = signedGitHub('push', form)
  d.headers['content-type'] = 'application/x-www-form-urlencoded'
  const res = await post(h, 'github', d)
  t.equal(res.statusCode, 202)
  const row = await stored(h, res.json().id)
  t.equal((row.normalized as { events: PushEvent[] }).events[0]!.after, P.SHA_B)
})

t.test('GitHub ping, tag push, branch deletion, create event, pull request', async (t) => {
  const h = await startTestApp(t)
  const ping = await post(h, 'github', signedGitHub('ping', P.githubPing()))
  t.equal(ping.statusCode, 200)
  t.equal((await stored(h, ping.json().id)).status, 'ping')

  const tag = await post(
    h,
    'github',
    signedGitHub('push', P.githubPush({ ref: 'refs/tags/v1.2.0', before: P.ZERO, created: true, commits: [] })),
  )
  const tagEv = ((await stored(h, tag.json().id)).normalized as { events: PushEvent[] }).events[0]!
  t.match(tagEv, { refType: 'tag', tag: 'v1.2.0', branch: null, created: true, filesKnown: false })

  const del = await post(
    h,
    'github',
    signedGitHub('push', P.githubPush({ after: P.ZERO, deleted: true, commits: [], head_commit: null })),
  )
  t.match(((await stored(h, del.json().id)).normalized as { events: PushEvent[] }).events[0], {
    deleted: true,
    after: P.ZERO,
  })

  const create = await post(
    h,
    'github',
    signedGitHub('create', { ref: 'feature', ref_type: 'branch', repository: P.githubPush().repository }),
  )
  t.equal(create.statusCode, 202)
  t.equal((await stored(h, create.json().id)).status, 'ignored')

  const merged = await post(h, 'github', signedGitHub('pull_request', P.githubPullRequest('closed', true)))
  const pr = ((await stored(h, merged.json().id)).normalized as { events: PullRequestEvent[] }).events[0]!
  t.match(pr, {
    kind: 'pull_request',
    action: 'merged',
    number: 42,
    title: 'Feature engineering: tenure buckets',
    source: {
      branch: 'tenure-buckets',
      sha: P.SHA_C,
      repositoryFullName: 'grace/churn-model',
      cloneUrl: 'https://github.com/grace/churn-model.git',
    },
    target: { branch: 'main', sha: P.SHA_A },
    author: { username: 'grace' },
    url: 'https://github.com/acme-ds/churn-model/pull/42',
  })
  const sync = await post(h, 'github', signedGitHub('pull_request', P.githubPullRequest('synchronize')))
  t.equal(((await stored(h, sync.json().id)).normalized as { events: PullRequestEvent[] }).events[0]!.action, 'updated')
  const labeled = await post(h, 'github', signedGitHub('pull_request', P.githubPullRequest('labeled')))
  t.equal((await stored(h, labeled.json().id)).status, 'ignored')
})

t.test('GitHub 2012-era push: full name, clone URL and forced-on-create fixed up', async (t) => {
  const h = await startTestApp(t)
  const res = await post(h, 'github', signedGitHub('push', P.githubLegacyPush()))
  const ev = ((await stored(h, res.json().id)).normalized as { events: PushEvent[] }).events[0]!
  t.match(ev, {
    repository: {
      fullName: 'octokitty/testing',
      cloneUrl: { https: 'https://github.com/octokitty/testing.git', ssh: null },
      defaultBranch: 'master',
    },
    created: true,
    forced: false,
    filesKnown: false,
  })
})

t.test('GitHub: the same delivery GUID from two hooks is two deliveries; a redelivery is one', async (t) => {
  const h = await startTestApp(t)
  const payload = P.githubPush()
  const a = await post(h, 'github', signedGitHub('push', payload, { delivery: 'guid-1', hookId: '1' }))
  const b = await post(h, 'github', signedGitHub('push', payload, { delivery: 'guid-1', hookId: '2' }))
  const again = await post(h, 'github', signedGitHub('push', payload, { delivery: 'guid-1', hookId: '1' }))
  t.equal(a.statusCode, 202)
  t.equal(b.statusCode, 202)
  t.not(a.json().id, b.json().id)
  t.equal(again.statusCode, 200)
  t.same(again.json(), { id: a.json().id, duplicate: true })
  t.equal(await count(h), 2)
})

t.test('GitLab push (truncated to 20 newest), tag push, system hook, merge request', async (t) => {
  const h = await startTestApp(t)
  const res = await post(h, 'gitlab', signedGitLab('Push Hook', P.gitlabPush(), { idempotencyKey: 'idem-1' }))
  t.equal(res.statusCode, 202)
  const row = await stored(h, res.json().id)
  t.equal(row.hostDeliveryId, 'idem-1')
  t.notOk('x-gitlab-token' in row.headers)
  const ev = (row.normalized as { events: PushEvent[] }).events[0]!
  t.match(ev, {
    provider: 'gitlab',
    ref: 'refs/heads/master',
    branch: 'master',
    before: P.SHA_A,
    after: P.SHA_B,
    forced: null,
    totalCommits: 4,
    filesKnown: false, // 2 of 4 commits listed
    pusher: { name: 'John Smith', email: null, username: 'jsmith' },
    repository: {
      fullName: 'mike/diaspora',
      cloneUrl: {
        https: 'https://gitlab.example.com/mike/diaspora.git',
        ssh: 'git@gitlab.example.com:mike/diaspora.git',
      },
      defaultBranch: 'master',
    },
  })
  t.equal(ev.commits.length, 2)
  t.same(ev.commits[0]!.author, { name: 'Jordi Mallach', email: 'jordi@softcatala.org', username: null })

  const full = await post(h, 'gitlab', signedGitLab('Push Hook', P.gitlabPush({ total_commits_count: 2 })))
  t.equal(((await stored(h, full.json().id)).normalized as { events: PushEvent[] }).events[0]!.filesKnown, true)

  const tag = await post(
    h,
    'gitlab',
    signedGitLab(
      'Tag Push Hook',
      P.gitlabPush({
        object_kind: 'tag_push',
        event_name: 'tag_push',
        ref: 'refs/tags/v2.0',
        before: P.ZERO,
        commits: [],
        total_commits_count: 0,
      }),
    ),
  )
  t.match(((await stored(h, tag.json().id)).normalized as { events: PushEvent[] }).events[0], {
    refType: 'tag',
    tag: 'v2.0',
    created: true,
  })

  const sys = await post(h, 'gitlab', signedGitLab('System Hook', P.gitlabSystemHookPush()))
  t.match(((await stored(h, sys.json().id)).normalized as { events: PushEvent[] }).events[0], {
    kind: 'push',
    filesKnown: false,
    totalCommits: 1,
  })

  const mr = await post(h, 'gitlab', signedGitLab('Merge Request Hook', P.gitlabMergeRequest('open')))
  t.match(((await stored(h, mr.json().id)).normalized as { events: PullRequestEvent[] }).events[0], {
    kind: 'pull_request',
    action: 'opened',
    number: 1,
    source: { branch: 'ms-viewport', sha: P.SHA_C, repositoryFullName: 'awesome_space/awesome_project' },
    target: { branch: 'master', sha: null },
    author: { name: 'Administrator', email: 'admin@example.com', username: 'root' },
  })
  const approved = await post(h, 'gitlab', signedGitLab('Merge Request Hook', P.gitlabMergeRequest('approved')))
  t.equal((await stored(h, approved.json().id)).status, 'ignored')
})

t.test('GitLab: Idempotency-Key dedupes; without it the content does', async (t) => {
  const h = await startTestApp(t)
  const a = await post(h, 'gitlab', signedGitLab('Push Hook', P.gitlabPush(), { idempotencyKey: 'k1' }))
  const b = await post(h, 'gitlab', signedGitLab('Push Hook', P.gitlabPush(), { idempotencyKey: 'k1' }))
  t.equal(b.statusCode, 200)
  t.equal(b.json().id, a.json().id)
  const c = await post(
    h,
    'gitlab',
    signedGitLab('Push Hook', P.gitlabPush({ after: P.SHA_C }), { idempotencyKey: null }),
  )
  const d = await post(
    h,
    'gitlab',
    signedGitLab('Push Hook', P.gitlabPush({ after: P.SHA_C }), { idempotencyKey: null }),
  )
  t.equal(c.statusCode, 202)
  t.same(d.json(), { id: c.json().id, duplicate: true })
  t.equal(await count(h), 2)
})

t.test('GitLab signing tokens (Standard Webhooks)', async (t) => {
  const now = new Date('2026-11-27T10:00:00Z')
  const h = await startTestApp(t, { now: () => now })
  const ts = Math.floor(now.getTime() / 1000)
  const ok = await post(h, 'gitlab', signedGitLabStandard('Push Hook', P.gitlabPush(), { timestamp: ts }))
  t.equal(ok.statusCode, 202)
  const stale = await post(h, 'gitlab', signedGitLabStandard('Push Hook', P.gitlabPush(), { timestamp: ts - 3600 }))
  t.equal(stale.statusCode, 401)
  t.match(stale.json().message, /timestamp/)
  const forged = signedGitLabStandard('Push Hook', P.gitlabPush(), {
    timestamp: ts,
    signingToken: 'whsec_' + Buffer.from('another key of thirty-two bytes!').toString('base64'),
  })
  t.equal((await post(h, 'gitlab', forged)).statusCode, 401)
  t.equal(await count(h), 1)
})

t.test('Bitbucket Cloud push with several changes, truncated commits, tag, deletion', async (t) => {
  const h = await startTestApp(t)
  const payload = P.bitbucketCloudPush([
    P.bbCloudChange({ name: 'main', commits: 5 }),
    P.bbCloudChange({ name: 'v1.0', type: 'tag', old: null }),
    P.bbCloudChange({ name: 'old-experiment', new: null }),
  ])
  const res = await post(h, 'bitbucket', signedBitbucketCloud('repo:push', payload))
  t.equal(res.statusCode, 202)
  const row = await stored(h, res.json().id)
  t.equal(row.provider, 'bitbucket-cloud')
  const [main, tag, gone] = (row.normalized as { events: PushEvent[] }).events
  t.match(main, {
    provider: 'bitbucket-cloud',
    ref: 'refs/heads/main',
    before: P.SHA_A,
    after: P.SHA_B,
    filesKnown: false,
    forced: false,
    repository: {
      fullName: 'acme-ds/forecast',
      cloneUrl: { https: 'https://bitbucket.org/acme-ds/forecast.git', ssh: 'git@bitbucket.org:acme-ds/forecast.git' },
      webUrl: 'https://bitbucket.org/acme-ds/forecast',
      defaultBranch: 'main',
    },
    pusher: { name: 'Emma Noether', email: null, username: 'emma' },
  })
  t.equal(main!.commits.length, 5)
  t.same(main!.commits[0]!.author, { name: 'Emma Noether', email: 'emma@example.com', username: 'emma' })
  t.match(tag, { ref: 'refs/tags/v1.0', refType: 'tag', created: true, before: P.ZERO })
  t.match(gone, { ref: 'refs/heads/old-experiment', deleted: true, after: P.ZERO })
})

t.test(
  'Bitbucket Cloud: a retry with a new request UUID is still one delivery; SHA-512 signatures verify',
  async (t) => {
    const h = await startTestApp(t)
    const payload = P.bitbucketCloudPush([P.bbCloudChange({ name: 'main' })])
    const a = await post(h, 'bitbucket', signedBitbucketCloud('repo:push', payload, { algorithm: 'sha512' }))
    t.equal(a.statusCode, 202)
    const retry = signedBitbucketCloud('repo:push', payload)
    retry.headers['x-attempt-number'] = '2'
    const b = await post(h, 'bitbucket', retry)
    t.same(b.json(), { id: a.json().id, duplicate: true })
    const pr = await post(h, 'bitbucket', signedBitbucketCloud('pullrequest:created', P.bitbucketCloudPullRequest()))
    t.match(((await stored(h, pr.json().id)).normalized as { events: PullRequestEvent[] }).events[0], {
      action: 'opened',
      number: 7,
      source: { branch: 'seasonality', sha: 'e4f5a6b7c8d9', repositoryFullName: 'emma/forecast' },
      target: { branch: 'main', sha: 'a1b2c3d4e5f6' },
    })
  },
)

t.test('Bitbucket Server: refs_changed old and new shapes, PRs, ping, post-webhooks add-on', async (t) => {
  const h = await startTestApp(t)
  const old = await post(
    h,
    'bitbucket',
    signedBitbucketServer('repo:refs_changed', P.bitbucketServerRefsChanged({ links: false })),
  )
  t.equal(old.statusCode, 202)
  const oldRow = await stored(h, old.json().id)
  t.equal(oldRow.provider, 'bitbucket-server')
  t.match((oldRow.normalized as { events: PushEvent[] }).events[0], {
    provider: 'bitbucket-server',
    ref: 'refs/heads/master',
    branch: 'master',
    before: P.SHA_A,
    after: P.SHA_B,
    forced: null,
    filesKnown: false,
    repository: { fullName: 'DS/fraud-model', cloneUrl: { https: null, ssh: null } },
    pusher: { name: 'Administrator', email: 'admin@example.com', username: 'admin' },
  })
  const commits = [
    {
      id: P.SHA_B,
      displayId: P.SHA_B.slice(0, 11),
      message: 'Tune thresholds',
      author: { name: 'admin', emailAddress: 'admin@example.com', displayName: 'Administrator', slug: 'admin' },
      authorTimestamp: 1763629921000,
    },
  ]
  const dc = await post(
    h,
    'bitbucket',
    signedBitbucketServer('repo:refs_changed', P.bitbucketServerRefsChanged({ commits })),
  )
  const dcEv = ((await stored(h, dc.json().id)).normalized as { events: PushEvent[] }).events[0]!
  t.match(dcEv.repository, {
    cloneUrl: {
      https: 'https://bitbucket.example.com/scm/ds/fraud-model.git',
      ssh: 'ssh://git@bitbucket.example.com:7999/ds/fraud-model.git',
    },
    webUrl: 'https://bitbucket.example.com/projects/DS/repos/fraud-model/browse',
  })
  t.same(dcEv.commits[0]!.author, { name: 'Administrator', email: 'admin@example.com', username: 'admin' })
  t.equal(dcEv.commits[0]!.timestamp, new Date(1763629921000).toISOString())
  const iso = [{ ...commits[0], authorTimestamp: '2026-11-20T09:12:01Z' }]
  const dc10 = await post(
    h,
    'bitbucket',
    signedBitbucketServer(
      'repo:refs_changed',
      P.bitbucketServerRefsChanged({
        commits: iso,
        changes: [
          {
            ref: { id: 'refs/tags/v3', displayId: 'v3', type: 'TAG' },
            refId: 'refs/tags/v3',
            fromHash: P.ZERO,
            toHash: P.SHA_C,
            type: 'ADD',
          },
        ],
      }),
    ),
  )
  t.match(((await stored(h, dc10.json().id)).normalized as { events: PushEvent[] }).events[0], {
    refType: 'tag',
    tag: 'v3',
    created: true,
    commits: [{ timestamp: '2026-11-20T09:12:01Z' }],
  })

  const pr = await post(
    h,
    'bitbucket',
    signedBitbucketServer('pr:from_ref_updated', P.bitbucketServerPullRequest('pr:from_ref_updated')),
  )
  t.match(((await stored(h, pr.json().id)).normalized as { events: PullRequestEvent[] }).events[0], {
    provider: 'bitbucket-server',
    action: 'updated',
    number: 12,
    source: { branch: 'tuning', sha: P.SHA_C, repositoryFullName: 'DS/fraud-model' },
    target: { branch: 'master', sha: P.SHA_A },
    url: 'https://bitbucket.example.com/projects/DS/repos/fraud-model/pull-requests/12',
  })

  const ping = await post(h, 'bitbucket', signedBitbucketServer('diagnostics:ping', { test: true }))
  t.equal(ping.statusCode, 200)
  t.equal((await stored(h, ping.json().id)).status, 'ping')

  const addon = signedBitbucketServer('repo:push', P.bitbucketCloudPush([P.bbCloudChange({ name: 'main' })]))
  addon.headers['x-bitbucket-type'] = 'server'
  const addonRes = await post(h, 'bitbucket', addon)
  const addonRow = await stored(h, addonRes.json().id)
  t.equal(addonRow.provider, 'bitbucket-server')
  t.match((addonRow.normalized as { events: PushEvent[] }).events[0], {
    ref: 'refs/heads/main',
    repository: { cloneUrl: { https: null } },
  })

  const again = await post(
    h,
    'bitbucket',
    signedBitbucketServer('diagnostics:ping', { test: true }, { requestId: 'r-1' }),
  )
  const again2 = await post(
    h,
    'bitbucket',
    signedBitbucketServer('diagnostics:ping', { test: true }, { requestId: 'r-1' }),
  )
  t.equal(again.statusCode, 200)
  t.same(again2.json(), { id: again.json().id, duplicate: true })
})

t.test('event types Tamer does not act on are 202 and recorded as ignored', async (t) => {
  const h = await startTestApp(t)
  const res = await post(
    h,
    'github',
    signedGitHub('issues', { action: 'opened', repository: P.githubPush().repository }),
  )
  t.equal(res.statusCode, 202)
  const row = await stored(h, res.json().id)
  t.equal(row.status, 'ignored')
  t.match(row.normalized, { kind: 'ignored', reason: /issues/ })
})

t.test('per-repository secrets and tenants', async (t) => {
  const config = testConfig({
    tenants: [{ name: 'risk', repositories: ['risk-team/*'] }],
    providers: {
      github: {
        secrets: [SECRETS.github],
        repositories: [{ match: 'risk-team/*', secrets: ['risk-secret-1', 'risk-secret-2'] }],
      },
    },
  })
  const h = await startTestApp(t, { config })
  const riskPush = P.githubPush({ repository: { ...P.githubPush().repository, full_name: 'risk-team/scorecard' } })
  const withShared = await post(h, 'github', signedGitHub('push', riskPush))
  t.equal(withShared.statusCode, 401, 'the shared secret does not sign a repository that has its own')
  const rotated = await post(h, 'github', signedGitHub('push', riskPush, { secret: 'risk-secret-2' }))
  t.equal(rotated.statusCode, 202, 'either secret of a rotation is accepted')
  const row = await stored(h, rotated.json().id)
  t.equal(row.tenant, 'risk')
  t.equal((row.normalized as { events: PushEvent[] }).events[0]!.tenant, 'risk')
  const other = await post(h, 'github', signedGitHub('push', P.githubPush(), { secret: 'risk-secret-1' }))
  t.equal(other.statusCode, 401, 'a repository secret does not sign other repositories')
})

t.test('a provider with no secret refuses every delivery (fail closed)', async (t) => {
  const config = testConfig({
    providers: { github: { secrets: [] }, gitlab: { tokens: [] }, bitbucket: { secrets: [] } },
  })
  const h = await startTestApp(t, { config })
  for (const [route, d] of [
    ['github', signedGitHub('push', P.githubPush())],
    ['gitlab', signedGitLab('Push Hook', P.gitlabPush())],
    ['bitbucket', signedBitbucketServer('repo:refs_changed', P.bitbucketServerRefsChanged())],
  ] as const) {
    const res = await post(h, route, d)
    t.equal(res.statusCode, 401, route)
    t.equal(res.json().code, 'TAMER_PROVIDER_NOT_CONFIGURED')
  }
  t.equal(await count(h), 0)
  t.ok(
    h.logs.some((l) => l.includes('github deliveries will be refused')),
    'said at start-up',
  )
})
