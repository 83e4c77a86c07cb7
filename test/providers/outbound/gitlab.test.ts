// The GitLab outbound client against the GitLab stand-in (a real HTTP server that checks every
// request against the documented shape): statuses, each answer class, and the living MR note.
import t, { type Test } from 'tap'
import { GitLabClient, gitlabClientFor } from '../../../src/providers/gitlab/outbound.js'
import type { CommitState, CommitStatus } from '../../../src/providers/outbound.js'
import { closedPortUrl, failureOf } from '../../support/hosts/failure.js'
import { GitLabStandIn } from '../../support/hosts/gitlab.js'

const TOKEN = 'glpat-Zx8vT4qLm2Nc9Rw7Ka1B'
const SHA = 'e3a4a5a0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6'
const REPO = 'data/science/churn-model'

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

async function setup(t: Test, root = '') {
  const gl = await new GitLabStandIn(TOKEN, root).start()
  t.teardown(() => gl.close())
  gl.addProject(REPO, { mergeRequests: [7] })
  gl.addProject('data/readonly', { readOnly: true, mergeRequests: [1] })
  const client = new GitLabClient({ apiUrl: gl.apiUrl, token: TOKEN, timeoutMs: 2000 })
  return { gl, client }
}

/** A test against a fresh stand-in that ends by checking every request had the documented shape. */
function hostTest(name: string, fn: (t: Test, s: Awaited<ReturnType<typeof setup>>) => Promise<void>, root = '') {
  t.test(name, async (t) => {
    const s = await setup(t, root)
    await fn(t, s)
    t.same(s.gl.violations, [], 'every request had the documented shape')
  })
}

hostTest(
  'each state maps to GitLab vocabulary; name, bare ref, target URL and pipeline go along',
  async (t, { gl, client }) => {
    const expected: Record<CommitState, string> = {
      pending: 'pending',
      running: 'running',
      success: 'success',
      failure: 'failed',
      error: 'failed',
      cancelled: 'canceled',
    }
    for (const [i, [state, glState]] of Object.entries(expected).entries()) {
      const answer = await client.setStatus(
        status({ state: state as CommitState, context: `tamer/r${i}`, pipelineId: 42 }),
      )
      t.equal(answer.status, 201)
      t.ok(answer.id)
      const sent = gl.requests.at(-1)!
      t.equal(sent.path, `/api/v4/projects/${encodeURIComponent(REPO)}/statuses/${SHA}`, 'project path URL-encoded')
      t.equal(sent.headers['private-token'], TOKEN)
      t.match(sent.body, {
        state: glState,
        name: `tamer/r${i}`,
        ref: 'main',
        target_url: 'http://jenkins.example/job/churn/1/',
        pipeline_id: 42,
      })
    }
  },
)

hostTest('a description is cut to 255 characters; no target URL, no ref: left out', async (t, { gl, client }) => {
  await client.setStatus(status({ description: 'x'.repeat(1000), targetUrl: null, ref: null }))
  const body = gl.requests.at(-1)!.body as Record<string, unknown>
  t.equal((body.description as string).length, 255)
  t.notOk('target_url' in body)
  t.notOk('ref' in body)
})

hostTest(
  'posting the state the status already has (a retry after a lost answer) is done, not dead',
  async (t, { gl, client }) => {
    await client.setStatus(status({ state: 'running' }))
    const again = await client.setStatus(status({ state: 'running' }))
    t.equal(again.status, 400, 'GitLab answered 400 Cannot transition …')
    t.equal(gl.statuses.size, 1)
    // A different refused transition is not swallowed.
    gl.script({ status: 400, body: { message: 'Cannot transition status via :run from :success' } })
    const f = await failureOf(client.setStatus(status({ state: 'running' })))
    t.equal(f.retryable, false)
  },
)

hostTest(
  'answer classes: 401, 403, 404 dead with what GitLab said; 429 and 5xx retryable',
  async (t, { gl, client }) => {
    const wrong = new GitLabClient({ apiUrl: gl.apiUrl, token: 'glpat-wrongwrongwrong0000', timeoutMs: 2000 })
    let f = await failureOf(wrong.setStatus(status()))
    t.match(f, { status: 401, retryable: false, retryAfterMs: null })
    t.match(f.message, /GitLab answered HTTP 401: 401 Unauthorized/)
    t.notMatch(f.message, /glpat-wrong/, 'the token is never in the message')

    f = await failureOf(client.setStatus(status({ repository: 'data/readonly' })))
    t.match(f, { status: 403, retryable: false, message: /403 Forbidden/ })

    f = await failureOf(client.setStatus(status({ repository: 'data/gone' })))
    t.match(f, { status: 404, retryable: false, message: /404 Project Not Found/ })

    gl.script(GitLabStandIn.error(429, undefined, { 'retry-after': '30' }))
    f = await failureOf(client.setStatus(status()))
    t.match(f, { status: 429, retryable: true, retryAfterMs: 30_000 })

    const reset = Math.floor(Date.now() / 1000) + 60
    gl.script(GitLabStandIn.error(429, undefined, { 'ratelimit-reset': String(reset) }))
    f = await failureOf(client.setStatus(status()))
    t.ok(f.retryAfterMs! > 50_000 && f.retryAfterMs! <= 60_000, `RateLimit-Reset read (${f.retryAfterMs} ms)`)

    for (const code of [500, 502, 503]) {
      gl.script(GitLabStandIn.error(code))
      f = await failureOf(client.createComment({ repository: REPO, number: 7 }, 'x'))
      t.match(f, { status: code, retryable: true })
    }
    gl.script({ status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' })
    f = await failureOf(client.setStatus(status()))
    t.match(f.message, /HTTP 502: 502 Bad Gateway$/, 'an HTML error page read as one line of text')
  },
)

hostTest('the token is masked even where GitLab echoes it', async (t, { gl, client }) => {
  gl.script({ status: 422, body: { message: `token ${TOKEN} is not allowed here` } })
  const f = await failureOf(client.setStatus(status()))
  t.notMatch(f.message, TOKEN)
  t.match(f.message, /token \*+ is not allowed/)
})

hostTest('no answer in time, or nothing listening: retryable, no status', async (t, { gl }) => {
  const quick = new GitLabClient({ apiUrl: gl.apiUrl, token: TOKEN, timeoutMs: 200 })
  gl.script('hang')
  let f = await failureOf(quick.setStatus(status()))
  t.match(f, { status: null, retryable: true, message: /no answer within 200 ms/ })
  const nobody = new GitLabClient({ apiUrl: `${await closedPortUrl()}/api/v4`, token: TOKEN, timeoutMs: 2000 })
  f = await failureOf(nobody.setStatus(status()))
  t.match(f, { status: null, retryable: true, message: /unreachable \(ECONNREFUSED\)/ })
})

hostTest('a redirect is never followed (the token would go along): dead, check apiUrl', async (t, { gl, client }) => {
  gl.script({ status: 301, headers: { location: 'http://elsewhere.example/api/v4' } })
  const f = await failureOf(client.setStatus(status()))
  t.match(f, { status: 301, retryable: false, message: /redirect: check apiUrl/ })
})

hostTest(
  'self-managed GitLab under a relative URL root',
  async (t, { gl, client }) => {
    t.equal(gl.apiUrl.endsWith('/gitlab/api/v4'), true)
    await client.setStatus(status())
    const answer = await client.createComment({ repository: REPO, number: 7 }, 'hello')
    t.equal(answer.url, `${gl.url}/gitlab/${REPO}/-/merge_requests/7#note_${answer.id}`)
  },
  '/gitlab',
)

hostTest('the living note: found across pages by its marker, updated in place', async (t, { gl, client }) => {
  const pr = { repository: REPO, number: 7 }
  const marker = '<!-- tamer:pr-summary -->'
  t.equal(await client.findComment(pr, marker), null, 'none yet')

  gl.seedNotes(REPO, 7, [`${marker} (written by GitLab itself)`], true)
  gl.seedNotes(
    REPO,
    7,
    Array.from({ length: 230 }, (_, i) => `review comment ${i}`),
  )
  const created = await client.createComment(pr, `${marker}\nfirst summary`)
  t.equal(created.status, 201)
  gl.seedNotes(REPO, 7, ['a later comment'])

  const before = gl.requests.length
  const found = await client.findComment(pr, marker)
  t.same(found, { id: created.id }, 'found on the third page, not the system note')
  const pages = gl.requests.slice(before)
  t.same(
    pages.map((r) => r.query.get('page')),
    ['1', '2', '3'],
    'paged with X-Next-Page',
  )
  t.ok(pages.every((r) => r.query.get('per_page') === '100' && r.query.get('sort') === 'asc'))

  const updated = await client.updateComment(pr, found!.id, `${marker}\nsecond summary`)
  t.equal(updated.status, 200)
  const notes = gl.notes(REPO, 7)
  t.equal(notes.filter((n) => n.body.includes(marker) && !n.system).length, 1, 'still one note')
  t.match(notes.find((n) => String(n.id) === found!.id)!.body, /second summary/)

  t.equal(await client.findComment(pr, '<!-- other -->'), null, 'read to the last page, then null')
  const f = await failureOf(client.updateComment(pr, '999999', 'x'))
  t.match(f, { status: 404, retryable: false, message: /Note Not Found/ })
})

t.test('the stand-in itself refuses what GitLab documents as wrong (so a client bug cannot pass)', async (t) => {
  const { gl } = await setup(t)
  const post = (body: unknown) =>
    fetch(`${gl.apiUrl}/projects/${encodeURIComponent(REPO)}/statuses/${SHA}`, {
      method: 'POST',
      headers: { 'private-token': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  t.equal((await post({ state: 'failure', name: 'x' })).status, 400, 'GitHub vocabulary refused')
  t.equal((await post({ state: 'failed', context_name: 'x' })).status, 400, 'an undocumented field refused')
  t.equal((await post({ state: 'failed', ref: 'refs/heads/main' })).status, 400, 'a full ref refused')
  t.equal(gl.violations.length, 3)
})

hostTest(
  'gitlabClientFor: a reporting.hosts entry; a refused token names the entry, never the token',
  async (t, { gl }) => {
    const revoked = gitlabClientFor(
      { provider: 'gitlab', apiUrl: gl.apiUrl, token: 'glpat-revoked0000000000' },
      { index: 3, timeoutMs: 2000 },
    )
    t.equal(revoked.configured, true)
    const f = await failureOf(revoked.setStatus(status()))
    t.match(f.message, /401 Unauthorized \(the credential of reporting\.hosts\.3\)$/)
    t.notMatch(f.message, /glpat-revoked/)
    const client = gitlabClientFor(
      { provider: 'gitlab', apiUrl: gl.apiUrl, token: TOKEN },
      { index: 0, timeoutMs: 2000 },
    )
    t.equal((await client.setStatus(status())).status, 201)
    t.equal(gitlabClientFor({ provider: 'gitlab' }, { index: 0, timeoutMs: 2000 }).configured, false, 'no token')
  },
)

hostTest('a target URL past 255 characters is left out (GitLab would refuse the status)', async (t, { gl, client }) => {
  const answer = await client.setStatus(status({ targetUrl: `http://jenkins.example/${'j'.repeat(300)}` }))
  t.equal(answer.status, 201)
  t.notOk('target_url' in (gl.requests.at(-1)!.body as object))
})

hostTest('the pipeline of the open MR a commit belongs to (for pipeline_id), or null', async (t, { gl, client }) => {
  const other = 'a'.repeat(40)
  gl.describeMergeRequest(REPO, 8, { state: 'merged', commits: [SHA], pipelines: [{ id: 50, sha: SHA }] })
  gl.describeMergeRequest(REPO, 9, {
    state: 'opened',
    commits: [other, SHA],
    pipelines: [
      { id: 60, sha: other },
      { id: 61, sha: SHA },
      { id: 62, sha: SHA },
    ],
  })
  const id = await client.mergeRequestPipelineId(REPO, SHA)
  t.equal(id, 62, "the open MR's newest pipeline for this commit, not the merged MR's")
  await client.setStatus(status({ pipelineId: id }))
  t.match(gl.requests.at(-1)!.body, { pipeline_id: 62 })
  t.equal(await client.mergeRequestPipelineId(REPO, 'b'.repeat(40)), null, 'in no merge request')
})

hostTest(
  'gitlabClientFor: a self-managed base URL without /api/v4 gets it',
  async (t, { gl }) => {
    const client = gitlabClientFor(
      { provider: 'gitlab', apiUrl: `${gl.url}/gitlab/`, token: TOKEN },
      { index: 0, timeoutMs: 2000 },
    )
    t.equal((await client.setStatus(status())).status, 201)
    t.match(gl.requests.at(-1)!.path, /^\/gitlab\/api\/v4\/projects\//)
  },
  '/gitlab',
)
