// The Bitbucket Cloud outbound client against its stand-in (a real HTTP server that checks every
// request against REST 2.0's documented shape): statuses, each answer class, the living comment.
import t, { type Test } from 'tap'
import {
  BitbucketCloudClient,
  bitbucketCloudClientFor,
  bitbucketCloudCredentials,
} from '../../../src/providers/bitbucket-cloud/outbound.js'
import type { CommitState, CommitStatus } from '../../../src/providers/outbound.js'
import { BitbucketCloudStandIn } from '../../support/hosts/bitbucket-cloud.js'
import { closedPortUrl, failureOf } from '../../support/hosts/failure.js'

const APP_PASSWORD = 'ATBBq7Xk2mLp9Vw4Rt6Ny3Hs8Jd1'
const ACCESS_TOKEN = 'ATCTT3xFfGF0m9Kq2Lw7Pz4Rv8Ys1Tb6Nc5Hd'
const SHA = 'e3a4a5a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6'
const REPO = 'acme/churn-model'

function status(over: Partial<CommitStatus> = {}): CommitStatus {
  return {
    repository: REPO,
    sha: SHA,
    context: 'tamer/tests',
    state: 'pending',
    description: 'Waiting for Jenkins',
    targetUrl: 'http://jenkins.example/job/churn/1/',
    ref: 'refs/heads/feature/auc',
    ...over,
  }
}

async function setup(t: Test) {
  const bb = await new BitbucketCloudStandIn({ basic: `ada:${APP_PASSWORD}`, bearer: ACCESS_TOKEN }).start()
  t.teardown(() => bb.close())
  bb.addRepository(REPO, { pullRequests: [3] })
  bb.addRepository('acme/readonly', { readOnly: true, pullRequests: [1] })
  const client = new BitbucketCloudClient({
    apiUrl: bb.apiUrl,
    credentials: { kind: 'basic', username: 'ada', password: APP_PASSWORD },
    timeoutMs: 2000,
  })
  return { bb, client }
}

function hostTest(name: string, fn: (t: Test, s: Awaited<ReturnType<typeof setup>>) => Promise<void>) {
  t.test(name, async (t) => {
    const s = await setup(t)
    await fn(t, s)
    t.same(s.bb.violations, [], 'every request had the documented shape')
  })
}

hostTest(
  'each state maps to Bitbucket Cloud vocabulary; key, name, url and refname go along',
  async (t, { bb, client }) => {
    const expected: Record<CommitState, string> = {
      pending: 'INPROGRESS',
      running: 'INPROGRESS',
      success: 'SUCCESSFUL',
      failure: 'FAILED',
      error: 'FAILED',
      cancelled: 'STOPPED',
    }
    for (const [state, cloudState] of Object.entries(expected)) {
      const answer = await client.setStatus(status({ state: state as CommitState }))
      t.ok(answer.status === 201 || answer.status === 200)
      t.match(answer.id, /^\{.*\}$/, 'the status uuid')
      const sent = bb.requests.at(-1)!
      t.equal(sent.path, `/2.0/repositories/acme/churn-model/commit/${SHA}/statuses/build`)
      t.match(sent.body, { key: 'tamer/tests', state: cloudState, name: 'tamer/tests', refname: 'feature/auc' })
    }
    t.equal(bb.statuses.size, 1, 'one key: each state replaced the last')
  },
)

hostTest('a long description is cut; a context past 255 gets a stable key', async (t, { bb, client }) => {
  const context = `tamer/${'r'.repeat(300)}`
  await client.setStatus(status({ context, description: 'd'.repeat(900) }))
  await client.setStatus(status({ context, state: 'success' }))
  const [a, b] = bb.requests.slice(-2).map((r) => r.body as Record<string, string>)
  t.equal(a!.description!.length, 255)
  t.equal(a!.key!.length, 255)
  t.equal(a!.key, b!.key, 'the same context, the same key')
})

hostTest('no target URL: the fallback URL, as Bitbucket wants one', async (t, { bb }) => {
  const client = new BitbucketCloudClient({
    apiUrl: bb.apiUrl,
    credentials: bitbucketCloudCredentials('x-token-auth', ACCESS_TOKEN),
    timeoutMs: 2000,
    fallbackUrl: 'https://tamer.example/',
  })
  await client.setStatus(status({ targetUrl: null, ref: null }))
  const sent = bb.requests.at(-1)!
  t.equal(sent.headers.authorization, `Bearer ${ACCESS_TOKEN}`, 'x-token-auth: an access token, Bearer')
  t.match(sent.body, { url: 'https://tamer.example/' })
  t.notOk('refname' in (sent.body as object))
})

hostTest('answer classes: 401, 403, 404 dead; 429 and 5xx retryable', async (t, { bb, client }) => {
  const wrong = new BitbucketCloudClient({
    apiUrl: bb.apiUrl,
    credentials: { kind: 'basic', username: 'ada', password: 'ATBBwrongwrongwrongwrong' },
    timeoutMs: 2000,
  })
  let f = await failureOf(wrong.setStatus(status()))
  t.match(f, { status: 401, retryable: false, message: /Bitbucket Cloud answered HTTP 401: Unauthorized/ })
  t.notMatch(f.message, /ATBBwrong/)

  f = await failureOf(client.setStatus(status({ repository: 'acme/readonly' })))
  t.match(f, { status: 403, retryable: false, message: /privilege scopes/ })

  f = await failureOf(client.createComment({ repository: 'acme/gone', number: 1 }, 'x'))
  t.match(f, { status: 404, retryable: false, message: /Repository acme\/gone not found/ })

  bb.script(BitbucketCloudStandIn.error(429, undefined, { 'retry-after': '12' }))
  f = await failureOf(client.setStatus(status()))
  t.match(f, { status: 429, retryable: true, retryAfterMs: 12_000 })
  bb.script(BitbucketCloudStandIn.error(429))
  f = await failureOf(client.setStatus(status()))
  t.match(f, { status: 429, retryable: true, retryAfterMs: null }, 'no Retry-After: the backoff decides')

  for (const code of [500, 503]) {
    bb.script(BitbucketCloudStandIn.error(code))
    f = await failureOf(client.findComment({ repository: REPO, number: 3 }, 'm'))
    t.match(f, { status: code, retryable: true })
  }
})

hostTest('the app password is masked even where the host echoes it, in either spelling', async (t, { bb, client }) => {
  const basic = Buffer.from(`ada:${APP_PASSWORD}`).toString('base64')
  bb.script(BitbucketCloudStandIn.error(400, `bad header Basic ${basic} (password ${APP_PASSWORD})`))
  const f = await failureOf(client.setStatus(status()))
  t.notMatch(f.message, APP_PASSWORD)
  t.notMatch(f.message, basic)
})

hostTest('timeouts and refused connections are retryable', async (t, { bb }) => {
  const quick = new BitbucketCloudClient({
    apiUrl: bb.apiUrl,
    credentials: { kind: 'bearer', token: ACCESS_TOKEN },
    timeoutMs: 200,
  })
  bb.script('hang')
  let f = await failureOf(quick.setStatus(status()))
  t.match(f, { status: null, retryable: true, message: /no answer within 200 ms/ })
  const nobody = new BitbucketCloudClient({
    apiUrl: `${await closedPortUrl()}/2.0`,
    credentials: { kind: 'bearer', token: ACCESS_TOKEN },
    timeoutMs: 2000,
  })
  f = await failureOf(nobody.setStatus(status()))
  t.match(f, { status: null, retryable: true, message: /ECONNREFUSED/ })
})

hostTest('the living comment: found across pages by its marker, updated in place', async (t, { bb, client }) => {
  const pr = { repository: REPO, number: 3 }
  const marker = '<!-- tamer:pr-summary -->'
  t.equal(await client.findComment(pr, marker), null)
  bb.seedComments(REPO, 3, [`${marker} deleted copy`], true)
  bb.seedComments(
    REPO,
    3,
    Array.from({ length: 150 }, (_, i) => `review ${i}`),
  )
  const created = await client.createComment(pr, `${marker}\nfirst`)
  t.equal(created.status, 201)
  t.match(created.url, /pull-requests\/3\/_\/diff#comment-/)
  bb.seedComments(REPO, 3, ['later'])

  const before = bb.requests.length
  const found = await client.findComment(pr, marker)
  t.same(found, { id: created.id }, 'the live one, not the deleted one, on page 2')
  const pages = bb.requests.slice(before)
  t.same(
    pages.map((r) => r.query.get('page') ?? '1'),
    ['1', '2'],
    'followed `next`',
  )
  const updated = await client.updateComment(pr, found!.id, `${marker}\nsecond`)
  t.equal(updated.status, 200)
  const hidden = '[//]: # (tamer:pr-summary)'
  t.equal(bb.comments(REPO, 3).filter((c) => c.raw.includes(hidden) && !c.deleted).length, 1)
  t.match(bb.comments(REPO, 3).find((c) => String(c.id) === found!.id)!.raw, /second/)
  t.equal(await client.findComment(pr, '<!-- none -->'), null)
})

hostTest('a next link to another origin is not followed (the credential would go along)', async (t, { bb, client }) => {
  bb.script({ status: 200, body: { values: [], next: 'http://evil.example/2.0/x?page=2' } })
  const f = await failureOf(client.findComment({ repository: REPO, number: 3 }, 'm'))
  t.match(f, { retryable: false, message: /another origin/ })
})

t.test('the stand-in refuses what Bitbucket Cloud documents as wrong', async (t) => {
  const { bb } = await setup(t)
  const post = (body: unknown) =>
    fetch(`${bb.apiUrl}/repositories/acme/churn-model/commit/${SHA}/statuses/build`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACCESS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  t.equal((await post({ key: 'k', state: 'CANCELLED', url: 'http://x' })).status, 400, 'Server vocabulary refused')
  t.equal((await post({ key: 'k', state: 'FAILED' })).status, 400, 'url required')
  t.equal((await post({ key: 'k', state: 'FAILED', url: 'http://x', context: 'c' })).status, 400, 'undocumented field')
  t.equal(bb.violations.length, 3)
})

hostTest(
  "bitbucketCloudClientFor: username + app password is Basic; Tamer's URL as fallback; the entry named on 403",
  async (t, { bb }) => {
    const client = bitbucketCloudClientFor(
      { provider: 'bitbucket-cloud', apiUrl: bb.apiUrl, username: 'ada', token: APP_PASSWORD },
      { index: 1, timeoutMs: 2000, publicUrl: 'https://tamer.example' },
    )
    await client.setStatus(status({ targetUrl: null }))
    const sent = bb.requests.at(-1)!
    t.equal(sent.headers.authorization, `Basic ${Buffer.from(`ada:${APP_PASSWORD}`).toString('base64')}`)
    t.match(sent.body, { url: 'https://tamer.example' })
    const f = await failureOf(client.setStatus(status({ repository: 'acme/readonly' })))
    t.match(f.message, /\(the credential of reporting\.hosts\.1\)$/)
    t.equal(bitbucketCloudClientFor({ provider: 'bitbucket-cloud' }, { index: 0, timeoutMs: 2000 }).configured, false)
  },
)

hostTest(
  'the hidden marker is written as Bitbucket hides it; an old HTML-comment one is still found',
  async (t, { bb, client }) => {
    const pr = { repository: REPO, number: 3 }
    const marker = '<!-- tamer:pr-summary -->'
    const created = await client.createComment(pr, `${marker}\n## Tamer\nInline <!-- kept --> as is`)
    const raw = bb.comments(REPO, 3).find((c) => String(c.id) === created.id)!.raw
    t.equal(raw, '[//]: # (tamer:pr-summary)\n## Tamer\nInline <!-- kept --> as is', 'Bitbucket shows raw HTML as text')
    t.same(await client.findComment(pr, marker), { id: created.id })
    bb.comments(REPO, 3).length = 0
    const [old] = bb.seedComments(REPO, 3, [`${marker}\nwritten before`])
    t.same(await client.findComment(pr, marker), { id: String(old!.id) })
  },
)
