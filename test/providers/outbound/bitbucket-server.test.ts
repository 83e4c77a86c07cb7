// The Bitbucket Server / Data Center outbound client against its stand-in (a real HTTP server that
// checks every request against the documented shapes): the builds resource, the fall back to the
// legacy build-status 1.0 on an old server, each answer class, and the living comment.
import t, { type Test } from 'tap'
import { BitbucketServerClient, bitbucketServerClientFor } from '../../../src/providers/bitbucket-server/outbound.js'
import type { CommitState, CommitStatus } from '../../../src/providers/outbound.js'
import { BitbucketServerStandIn } from '../../support/hosts/bitbucket-server.js'
import { closedPortUrl, failureOf } from '../../support/hosts/failure.js'

const TOKEN = 'BBDC-NzE3ODk2MTI0OTk2OjJ8qXm1Vz0R3kT8w'
const SHA = 'e3a4a5a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6'
const REPO = 'DS/churn-model'

function status(over: Partial<CommitStatus> = {}): CommitStatus {
  return {
    repository: REPO,
    sha: SHA,
    context: 'tamer/tests',
    state: 'pending',
    description: 'Waiting for Jenkins',
    targetUrl: 'http://jenkins.example/job/churn/1/',
    ref: 'refs/heads/main',
    ...over,
  }
}

async function setup(t: Test, version: 'current' | 'legacy' = 'current') {
  const bb = await new BitbucketServerStandIn(TOKEN, version).start()
  t.teardown(() => bb.close())
  bb.addRepository(REPO, { pullRequests: [12] })
  bb.addRepository('DS/readonly', { readOnly: true, pullRequests: [1] })
  const client = new BitbucketServerClient({ apiUrl: bb.url, token: TOKEN, timeoutMs: 2000 })
  return { bb, client }
}

function hostTest(
  name: string,
  fn: (t: Test, s: Awaited<ReturnType<typeof setup>>) => Promise<void>,
  version: 'current' | 'legacy' = 'current',
) {
  t.test(name, async (t) => {
    const s = await setup(t, version)
    await fn(t, s)
    t.same(s.bb.violations, [], 'every request had the documented shape')
  })
}

const EXPECTED: Record<CommitState, string> = {
  pending: 'INPROGRESS',
  running: 'INPROGRESS',
  success: 'SUCCESSFUL',
  failure: 'FAILED',
  error: 'FAILED',
  cancelled: 'CANCELLED',
}

hostTest('the builds resource: each state mapped, key/name/url/ref/description sent', async (t, { bb, client }) => {
  for (const [state, serverState] of Object.entries(EXPECTED)) {
    const answer = await client.setStatus(status({ state: state as CommitState }))
    t.equal(answer.status, 204)
    const sent = bb.requests.at(-1)!
    t.equal(sent.path, `/rest/api/latest/projects/DS/repos/churn-model/commits/${SHA}/builds`)
    t.equal(sent.headers.authorization, `Bearer ${TOKEN}`)
    t.match(sent.body, { key: 'tamer/tests', state: serverState, name: 'tamer/tests', ref: 'refs/heads/main' })
  }
  t.equal(client.usesLegacyBuildStatus, false)
})

hostTest('limits: description and key to 255, url to 450', async (t, { bb, client }) => {
  await client.setStatus(
    status({
      context: `tamer/${'k'.repeat(400)}`,
      description: 'd'.repeat(600),
      targetUrl: `http://j/${'u'.repeat(600)}`,
    }),
  )
  const body = bb.requests.at(-1)!.body as Record<string, string>
  t.equal(body.description!.length, 255)
  t.equal(body.key!.length, 255)
  t.equal(body.name!.length, 255)
  t.equal(body.url!.length, 450)
})

hostTest(
  'an old server (no builds resource): falls back to build-status 1.0 and stays there; CANCELLED → FAILED',
  async (t, { bb, client }) => {
    const first = await client.setStatus(status({ state: 'running' }))
    t.equal(first.status, 204)
    t.same(
      bb.requests.map((r) => r.path),
      [`/rest/api/latest/projects/DS/repos/churn-model/commits/${SHA}/builds`, `/rest/build-status/1.0/commits/${SHA}`],
      'tried the builds resource, then the legacy one',
    )
    t.match(bb.requests.at(-1)!.body, {
      state: 'INPROGRESS',
      key: 'tamer/tests',
      url: 'http://jenkins.example/job/churn/1/',
    })
    t.equal(client.usesLegacyBuildStatus, true)

    await client.setStatus(status({ state: 'cancelled', description: 'superseded by a newer push' }))
    t.equal(bb.requests.length, 3, 'the second status went straight to 1.0')
    t.match(bb.requests.at(-1)!.body, { state: 'FAILED', description: 'cancelled: superseded by a newer push' })
    t.equal(
      [...bb.statuses.values()].every((s) => s.via === 'legacy'),
      true,
    )
  },
  'legacy',
)

hostTest(
  'a missing repository on a current server is a dead 404, not a reason to fall back',
  async (t, { bb, client }) => {
    const f = await failureOf(client.setStatus(status({ repository: 'DS/gone' })))
    t.match(f, { status: 404, retryable: false, message: /Repository gone does not exist/ })
    t.equal(bb.requests.length, 1, 'no legacy attempt')
    t.equal(client.usesLegacyBuildStatus, false)
  },
)

hostTest(
  'no target URL and no fallback: a dead failure before any request (url is mandatory)',
  async (t, { bb, client }) => {
    const f = await failureOf(client.setStatus(status({ targetUrl: null })))
    t.match(f, { retryable: false, message: /needs a url/ })
    t.equal(bb.requests.length, 0)
    const withFallback = new BitbucketServerClient({
      apiUrl: bb.url,
      token: TOKEN,
      timeoutMs: 2000,
      fallbackUrl: 'https://tamer.example/',
    })
    await withFallback.setStatus(status({ targetUrl: null }))
    t.match(bb.requests.at(-1)!.body, { url: 'https://tamer.example/' })
  },
)

hostTest('answer classes: 401, 403 dead; 429 with Retry-After and 5xx retryable', async (t, { bb, client }) => {
  const wrong = new BitbucketServerClient({ apiUrl: bb.url, token: 'BBDC-wrongwrongwrongwrong', timeoutMs: 2000 })
  let f = await failureOf(wrong.setStatus(status()))
  t.match(f, { status: 401, retryable: false, message: /Authentication failed/ })
  t.notMatch(f.message, /BBDC-wrong/)
  t.equal(wrong.usesLegacyBuildStatus, false)

  f = await failureOf(client.setStatus(status({ repository: 'DS/readonly' })))
  t.match(f, { status: 403, retryable: false, message: /not permitted/ })

  bb.script(BitbucketServerStandIn.error(429, undefined, null, { 'retry-after': '5' }))
  f = await failureOf(client.setStatus(status()))
  t.match(f, { status: 429, retryable: true, retryAfterMs: 5000 })

  bb.script(
    BitbucketServerStandIn.error(503, 'Bitbucket is starting up', null, {
      'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT',
    }),
  )
  f = await failureOf(client.createComment({ repository: REPO, number: 12 }, 'x'))
  t.match(f, { status: 503, retryable: true, message: /starting up/ })
  t.ok(f.retryAfterMs! > 0, 'an HTTP-date Retry-After read')

  bb.script(BitbucketServerStandIn.error(500))
  f = await failureOf(client.findComment({ repository: REPO, number: 12 }, 'm'))
  t.match(f, { status: 500, retryable: true })

  const quick = new BitbucketServerClient({ apiUrl: bb.url, token: TOKEN, timeoutMs: 200 })
  bb.script('hang')
  f = await failureOf(quick.setStatus(status()))
  t.match(f, { status: null, retryable: true, message: /no answer within 200 ms/ })
  const nobody = new BitbucketServerClient({ apiUrl: await closedPortUrl(), token: TOKEN, timeoutMs: 2000 })
  f = await failureOf(nobody.setStatus(status()))
  t.match(f, { status: null, retryable: true, message: /ECONNREFUSED/ })
})

hostTest('the living comment: found across activity pages, updated with its version', async (t, { bb, client }) => {
  const pr = { repository: REPO, number: 12 }
  const marker = '<!-- tamer:pr-summary -->'
  t.equal(await client.findComment(pr, marker), null)
  const created = await client.createComment(pr, `${marker}\nfirst`)
  t.equal(created.status, 201)
  t.equal(created.url, `${bb.url}/projects/DS/repos/churn-model/pull-requests/12/overview?commentId=${created.id}`)
  // 120 newer comments (240 activities, newest first): the marked one is on the third page.
  bb.seedComments(
    REPO,
    12,
    Array.from({ length: 120 }, (_, i) => `review ${i}`),
  )

  const before = bb.requests.length
  const found = await client.findComment(pr, marker)
  t.same(found, { id: created.id })
  t.same(
    bb.requests.slice(before).map((r) => r.query.get('start')),
    ['0', '100', '200'],
    'paged with nextPageStart',
  )

  const updated = await client.updateComment(pr, found!.id, `${marker}\nsecond`)
  t.equal(updated.status, 200)
  const put = bb.requests.at(-1)!
  t.equal(put.method, 'PUT')
  t.match(put.body, { text: '[//]: # (tamer:pr-summary)\nsecond', version: 0 }, 'the marker as Bitbucket hides it')
  t.equal(bb.comments(REPO, 12).filter((c) => c.text.includes('[//]: # (tamer:pr-summary)')).length, 1)

  await client.updateComment(pr, found!.id, `${marker}\nthird`)
  t.match(bb.requests.at(-1)!.body, { version: 1 }, 'the version read just before')
  t.equal(await client.findComment(pr, '<!-- none -->'), null)
})

hostTest('an edit between our read and write (409): read again and write once more', async (t, { bb, client }) => {
  const pr = { repository: REPO, number: 12 }
  const [c] = bb.seedComments(REPO, 12, ['<!-- m --> v0'])
  // The first PUT meets a comment someone edited after our GET.
  let raced = false
  bb.script({ status: 409, body: BitbucketServerStandIn.error(409, 'out-of-date').body }, (r) => {
    if (r.method !== 'PUT' || raced) return false
    raced = true
    bb.editElsewhere(REPO, 12, c!.id, '<!-- m --> edited by a person')
    return true
  })
  const answer = await client.updateComment(pr, String(c!.id), '<!-- m --> ours')
  t.equal(answer.status, 200)
  t.equal(bb.comments(REPO, 12)[0]!.text, '<!-- m --> ours')
  t.same(
    bb.requests.map((r) => r.method),
    ['GET', 'PUT', 'GET', 'PUT'],
  )

  // Two conflicts in a row: retryable (the outbox tries again later), not dead.
  bb.script(BitbucketServerStandIn.error(409, 'out-of-date'), (r) => r.method === 'PUT')
  bb.script(BitbucketServerStandIn.error(409, 'out-of-date'), (r) => r.method === 'PUT')
  const f = await failureOf(client.updateComment(pr, String(c!.id), 'x'))
  t.match(f, { status: 409, retryable: true })
})

t.test('the stand-in refuses what Bitbucket Server documents as wrong', async (t) => {
  const { bb } = await setup(t)
  const post = (path: string, body: unknown) =>
    fetch(`${bb.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const builds = `/rest/api/latest/projects/DS/repos/churn-model/commits/${SHA}/builds`
  t.equal((await post(builds, { key: 'k', state: 'STOPPED', url: 'http://x' })).status, 400, 'Cloud vocabulary')
  t.equal((await post(builds, { key: 'k', state: 'FAILED' })).status, 400, 'url is mandatory')
  t.equal(
    (await post(`/rest/build-status/1.0/commits/${SHA}`, { key: 'k', state: 'CANCELLED', url: 'http://x' })).status,
    400,
    '1.0 has no CANCELLED',
  )
  t.equal(bb.violations.length, 3)
})

hostTest('bitbucketServerClientFor: Bearer token at the base URL; the entry named on 401', async (t, { bb }) => {
  const client = bitbucketServerClientFor(
    { provider: 'bitbucket-server', apiUrl: bb.url, token: TOKEN },
    { index: 0, timeoutMs: 2000, publicUrl: 'https://tamer.example' },
  )
  t.equal((await client.setStatus(status({ targetUrl: null }))).status, 204)
  t.match(bb.requests.at(-1)!.body, { url: 'https://tamer.example' })
  const revoked = bitbucketServerClientFor(
    { provider: 'bitbucket-server', apiUrl: bb.url, token: 'BBDC-revokedrevokedrevoked' },
    { index: 2, timeoutMs: 2000 },
  )
  const f = await failureOf(revoked.createComment({ repository: REPO, number: 12 }, 'x'))
  t.match(f.message, /\(the credential of reporting\.hosts\.2\)$/)
  t.notMatch(f.message, /revoked/)
  t.equal(
    bitbucketServerClientFor({ provider: 'bitbucket-server', token: TOKEN }, { index: 0, timeoutMs: 2000 }).configured,
    false,
  )
})

hostTest('a target URL past 450 characters gives way to the fallback URL', async (t, { bb }) => {
  const client = new BitbucketServerClient({
    apiUrl: bb.url,
    token: TOKEN,
    timeoutMs: 2000,
    fallbackUrl: 'https://tamer.example/',
  })
  await client.setStatus(status({ targetUrl: `http://j/${'u'.repeat(600)}` }))
  t.match(bb.requests.at(-1)!.body, { url: 'https://tamer.example/' })
})
