// Issue #13: the GitHub client against the GitHub stand-in, which checks every request against
// GitHub's OpenAPI description (@octokit/openapi). Each error answer is classified as the outbox
// needs it (retry after how long, or dead), and no message carries the token.
import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { createGitHubClient, type GitHubClientOptions } from '../../src/providers/github/outbound.js'
import { HostRequestFailure, type CommitStatus, type HostClient } from '../../src/providers/outbound.js'
import { GitHubStandIn } from '../support/hosts/github.js'

const TOKEN = 'ghp_standInToken0123456789abcdefghijkl'
const SHA = 'a'.repeat(40)
const REPO = 'acme/models'

async function failureOf(call: Promise<unknown>): Promise<HostRequestFailure> {
  try {
    await call
  } catch (err) {
    if (err instanceof HostRequestFailure) return err
    throw err
  }
  throw new Error('expected the call to fail')
}

const status = (over: Partial<CommitStatus> = {}): CommitStatus => ({
  repository: REPO,
  sha: SHA,
  context: 'tamer/train',
  state: 'pending',
  description: 'Waiting for Jenkins',
  targetUrl: 'https://jenkins.example.com/job/train/1/',
  ref: 'main',
  ...over,
})

async function setup(
  t: { teardown(fn: () => unknown): void },
  over: Partial<GitHubClientOptions> = {},
  statusLimit?: number,
) {
  const stand = await new GitHubStandIn({ repositories: [REPO], tokens: [TOKEN], statusLimit }).start()
  t.teardown(() => stand.close())
  const client = createGitHubClient({ baseUrl: stand.url, credentials: { token: TOKEN }, timeoutMs: 2000, ...over })
  return { stand, client }
}

t.test('statuses: every state in GitHub vocabulary, the description cut to 140, the request documented', async (t) => {
  const { stand, client } = await setup(t)
  t.equal(client.configured, true)
  t.equal(client.commentLimit, 65_536)
  const states = ['pending', 'running', 'success', 'failure', 'error', 'cancelled'] as const
  for (const state of states) {
    const answer = await client.setStatus(
      status({ state, description: `${state === 'cancelled' ? 'Stopped by alice' : state} ${'x'.repeat(200)}` }),
    )
    t.equal(answer.status, 201)
    t.ok(answer.id)
  }
  t.same(
    stand.statuses.map((s) => s.state),
    ['pending', 'pending', 'success', 'failure', 'error', 'error'],
  )
  t.ok(stand.statuses.every((s) => (s.description ?? '').length <= 140))
  t.match(stand.statuses[5]!.description, /^Cancelled: /, 'a cancelled build says so, GitHub has no such state')
  t.equal(stand.statuses[0]!.target_url, 'https://jenkins.example.com/job/train/1/')
  await client.setStatus(status({ targetUrl: null }))
  t.equal(stand.statuses.at(-1)!.target_url, null)
  t.same(stand.violations, [])
})

t.test('comments: found by the marker across pages, created, updated in place', async (t) => {
  const { stand, client } = await setup(t)
  const pr = { repository: REPO, number: 7 }
  t.equal(await client.findComment(pr, '<!-- tamer:pr-comment -->'), null)
  for (let i = 0; i < 130; i++)
    stand.comments.push({ id: 5000 + i, repository: REPO, issue: 7, body: `chatter ${i}`, edits: 0 })
  const made = await client.createComment(pr, '<!-- tamer:pr-comment -->\nfirst')
  t.equal(made.status, 201)
  t.match(made.url, /#issuecomment-/)
  const found = await client.findComment(pr, '<!-- tamer:pr-comment -->')
  t.equal(found?.id, made.id, 'the 131st comment is found on the second page')
  const pages = stand.requests.filter((r) => r.method === 'GET').map((r) => r.query.get('page'))
  t.same(pages.slice(-2), ['1', '2'])
  const updated = await client.updateComment(pr, found!.id, '<!-- tamer:pr-comment -->\nsecond')
  t.equal(updated.status, 200)
  const mine = stand.comments.filter((c) => c.body.includes('tamer:pr-comment'))
  t.equal(mine.length, 1)
  t.equal(mine[0]!.edits, 1)
  t.match(mine[0]!.body, /second/)
  t.same(stand.violations, [])
})

t.test('each error answer: retry or dead, the wait GitHub asked for, never the token', async (t) => {
  const { stand, client } = await setup(t, {}, 2)
  const cases: [string, () => void, (f: HostRequestFailure) => void][] = [
    [
      '429 with Retry-After',
      () => stand.script({ status: 429, headers: { 'retry-after': '7' }, body: { message: 'Too many' } }),
      (f) => t.match(f, { status: 429, retryable: true, retryAfterMs: 7000 }),
    ],
    [
      'secondary rate limit: 403 with Retry-After',
      () =>
        stand.script({
          status: 403,
          headers: { 'retry-after': '60' },
          body: {
            message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          },
        }),
      (f) => t.match(f, { status: 403, retryable: true, retryAfterMs: 60_000 }),
    ],
    [
      'primary rate limit: 403 with X-RateLimit-Remaining 0',
      () =>
        stand.script({
          status: 403,
          headers: {
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 120),
          },
          body: { message: 'API rate limit exceeded for installation ID 1.' },
        }),
      (f) => {
        t.match(f, { status: 403, retryable: true })
        t.ok(f.retryAfterMs! > 100_000 && f.retryAfterMs! <= 120_000, 'waits until the reset')
      },
    ],
    [
      '403 forbidden (no permission)',
      () => stand.script({ status: 403, body: { message: 'Resource not accessible by integration' } }),
      (f) => t.match(f, { status: 403, retryable: false, retryAfterMs: null, message: /not accessible/ }),
    ],
    [
      '502',
      () => stand.script({ status: 502, body: { message: 'Server Error' } }),
      (f) => t.match(f, { status: 502, retryable: true }),
    ],
    [
      '503 with Retry-After',
      () => stand.script({ status: 503, headers: { 'retry-after': '3' } }),
      (f) => t.match(f, { status: 503, retryable: true, retryAfterMs: 3000 }),
    ],
  ]
  for (const [name, arrange, check] of cases) {
    arrange()
    const f = await failureOf(client.setStatus(status()))
    t.notMatch(f.message, TOKEN, `${name}: no token in the message`)
    check(f)
  }
  // 422: GitHub keeps 1,000 statuses per SHA and context (2 in this stand-in).
  await client.setStatus(status())
  await client.setStatus(status())
  const full = await failureOf(client.setStatus(status()))
  t.match(full, { status: 422, retryable: false, message: /maximum number of statuses/ })
  // 404: the repository is gone (or the token cannot see it).
  const gone = await failureOf(client.setStatus(status({ repository: 'acme/deleted' })))
  t.match(gone, { status: 404, retryable: false, message: /Not Found/ })
  t.same(stand.violations, [])
})

t.test('401: a token GitHub rejects is dead, and the message never holds it', async (t) => {
  const { client } = await setup(t, { credentials: { token: 'ghp_revokedToken0123456789abcdefghijk' } })
  const f = await failureOf(client.setStatus(status()))
  t.match(f, { status: 401, retryable: false, message: /Bad credentials/ })
  t.notMatch(f.message, /ghp_/)
})

t.test('no answer: a hung request times out, a refused connection is retried', async (t) => {
  const { stand, client } = await setup(t, { timeoutMs: 300 })
  stand.script('hang')
  const hung = await failureOf(client.setStatus(status()))
  t.match(hung, { status: null, retryable: true })
  const down = createGitHubClient({ baseUrl: 'http://127.0.0.1:9', credentials: { token: TOKEN }, timeoutMs: 1000 })
  t.match(await failureOf(down.setStatus(status())), { status: null, retryable: true })
})

t.test('GitHub App: installation looked up, its token made and renewed before it expires', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  let clock = Date.now()
  const stand = await new GitHubStandIn({
    repositories: [REPO],
    app: { id: 42, publicKey, installations: { acme: 77 }, tokenTtlMs: 3_600_000 },
    now: () => clock,
  }).start()
  t.teardown(() => stand.close())
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
  const client: HostClient = createGitHubClient({
    baseUrl: stand.url,
    credentials: { app: { id: 42, privateKey: pem } },
    timeoutMs: 5000,
    now: () => clock,
  })
  await client.setStatus(status())
  await client.setStatus(status({ state: 'running' }))
  t.equal(stand.issued.size, 1, 'one installation token for both posts')
  t.equal(stand.requests.filter((r) => r.route === '/repos/{owner}/{repo}/installation').length, 1)
  clock += 54 * 60_000
  await client.setStatus(status({ state: 'success' }))
  t.equal(stand.issued.size, 1, 'still valid 54 minutes on')
  clock += 2 * 60_000
  await client.setStatus(status({ state: 'success' }))
  t.equal(stand.issued.size, 2, 'renewed 4 minutes before it expires')
  t.equal(stand.statuses.length, 4)
  t.same(stand.violations, [])

  // A key GitHub does not know: the token request is refused, dead, without the key.
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' })
  const wrong = createGitHubClient({
    baseUrl: stand.url,
    credentials: { app: { id: 42, privateKey: other.toString(), installationId: 77 } },
    timeoutMs: 5000,
  })
  const f = await failureOf(wrong.setStatus(status()))
  t.match(f, { status: 401, retryable: false })
  t.notMatch(f.message, /PRIVATE KEY|eyJ/)
})

t.test('the stand-in holds requests to the OpenAPI description (a wrong one is a violation)', async (t) => {
  const { stand } = await setup(t)
  const post = (path: string, body: unknown, method = 'POST') =>
    fetch(`${stand.url}${path}`, {
      method,
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  t.equal((await post(`/repos/${REPO}/statuses/${SHA}`, { state: 'running' })).status, 422, 'running is no state')
  t.equal((await post(`/repos/${REPO}/statuses/${SHA}`, { context: 'x' })).status, 422, 'state is required')
  t.equal((await post(`/repos/${REPO}/statuses/${SHA}`, { state: 'success', colour: 1 })).status, 422)
  t.equal((await post(`/repos/${REPO}/issues/comments/12`, { body: 'x' }, 'PUT')).status, 404, 'no such method')
  t.equal(stand.violations.length, 4)
  t.match(stand.violations.join('\n'), /must be one of error, failure, pending, success; got running/)
  t.match(stand.violations.join('\n'), /body\.state is required/)
  t.match(stand.violations.join('\n'), /colour is not a documented field/)
})
