// Issue #13 end to end: pushes and pull requests through the real server, the real pipeline and
// the Jenkins emulator, statuses and the PR comment posted to the GitHub stand-in (which checks
// every request against GitHub's OpenAPI description).
import t from 'tap'
import { githubPullRequest, SHA_A, SHA_B, SHA_C } from '../support/payloads.js'
import { apiAuth, startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'
import { signedGitHub } from '../support/sign.js'
import { GitHubStandIn } from '../support/hosts/github.js'
import { COMMENT_MARKER } from '../../src/reporting/comment.js'

const TOKEN = 'ghp_e2eStandInToken0123456789abcdefghij'
const REPO = 'acme-ds/churn-model'
const RULE = {
  name: 'train',
  repository: 'acme-ds/*',
  events: ['push', 'pull_request'],
  template: 'tests-only',
  job: 'ds/{repo}/train',
}

async function setup(
  t: { teardown(fn: () => unknown): void },
  o: { token?: string | null; jenkins?: Record<string, unknown>; timeoutHours?: number; requestMs?: number } = {},
) {
  const stand = await new GitHubStandIn({ repositories: [REPO], tokens: [TOKEN] }).start()
  t.teardown(() => stand.close())
  const hosts = o.token === null ? [] : [{ provider: 'github', apiUrl: stand.url, token: o.token ?? TOKEN }]
  const h = await startPipelineApp(t, {
    rules: [RULE],
    jenkins: o.jenkins,
    config: {
      reporting: { hosts, timeoutHours: o.timeoutHours ?? 6, ...(o.requestMs ? { timeoutMs: o.requestMs } : {}) },
      links: { secret: 'e2e-link-secret' },
    },
  })
  return { stand, h }
}

/** Runs the pipeline against the emulator until the build ended, posting as it goes. */
async function settle(h: PipelineHarness) {
  for (let i = 0; i < 8; i++) {
    await h.drain()
    await h.service.reporter.drain()
    h.advance(5_000)
  }
  await h.drain()
  await h.service.reporter.drain()
}

function runFailing(h: PipelineHarness) {
  h.jenkins.control.setDefaultScenario({
    result: 'FAILURE',
    durationMs: 4000,
    stages: ['Checkout', 'Unit tests'],
    failingStage: 'Unit tests',
    tests: { total: 12, failed: 2, skipped: 1 },
  })
}

t.test('a failing push: pending, then failure linking the Jenkins build', async (t) => {
  const { stand, h } = await setup(t)
  runFailing(h)
  await h.push()
  await h.drain()
  await h.service.reporter.drain()
  t.equal(stand.statusesOf(REPO, SHA_B, 'tamer/train')[0]?.state, 'pending', 'pending as soon as it is planned')
  await settle(h)
  const posted = stand.statusesOf(REPO, SHA_B, 'tamer/train')
  const last = posted.at(-1)!
  t.equal(last.state, 'failure')
  const [build] = await h.builds()
  t.ok(build!.buildUrl)
  t.equal(last.target_url, build!.buildUrl, 'the target is the Jenkins build')
  t.match(last.description, /Failed at stage Unit tests; 2 of 12 tests failed/)
  t.ok(
    posted.every((s, i) => i === 0 || s.state !== 'pending' || posted[i - 1]!.state === 'pending'),
    'never back to pending',
  )
  t.same(stand.violations, [])

  const res = await h.app.inject({ url: `/api/builds/${build!.id}`, headers: apiAuth() })
  const posts = res.json().posts as {
    kind: string
    state: string
    posted: { state: string }
    answer: { status: number }
  }[]
  t.ok(posts.length >= 2)
  t.ok(posts.every((p) => p.state === 'sent' || p.state === 'superseded'))
  t.equal(posts.filter((p) => p.state === 'sent').at(-1)!.posted.state, 'failure')
  t.equal(posts.filter((p) => p.state === 'sent').at(-1)!.answer.status, 201)
})

t.test('a pull request: one comment, the next push updates it in place', async (t) => {
  const { stand, h } = await setup(t)
  runFailing(h)
  const pr = githubPullRequest('opened')
  pr.pull_request.title = 'Tenure [click](https://evil.example.com) @admins <img src=x>'
  const send = async (payload: unknown) => {
    const d = signedGitHub('pull_request', payload)
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202)
  }
  await send(pr)
  await settle(h)
  t.equal(stand.comments.length, 1, 'one comment')
  const first = stand.comments[0]!
  t.ok(first.body.startsWith(COMMENT_MARKER))
  t.match(first.body, /\| train \| ❌ failure \| Unit tests \| 9 passed, 2 failed \|/)
  t.notMatch(first.body, /\[click\]\(https:\/\/evil/, 'the title cannot make a link')
  t.notMatch(first.body, /(?<!\\)<img/, 'nor HTML (the tag is escaped)')
  t.notMatch(first.body, /@admins/, 'nor a mention')

  const sync = githubPullRequest('synchronize')
  sync.pull_request.head.sha = SHA_B
  h.jenkins.control.setDefaultScenario({ result: 'SUCCESS', durationMs: 2000, stages: ['Checkout'] })
  await send(sync)
  await settle(h)
  t.equal(stand.comments.length, 1, 'still one comment')
  t.ok(stand.comments[0]!.edits >= 1, 'updated in place')
  t.match(stand.comments[0]!.body, /\| train \| ✅ success/)
  t.match(stand.comments[0]!.body, new RegExp(SHA_B.slice(0, 12)))
  t.equal(stand.statusesOf(REPO, SHA_C, 'tamer/train').at(-1)!.state, 'failure')
  t.equal(stand.statusesOf(REPO, SHA_B, 'tamer/train').at(-1)!.state, 'success')
  t.same(stand.violations, [])
})

t.test('comment: failure — no comment while green, one on the failure, then it follows the fix', async (t) => {
  const stand = await new GitHubStandIn({ repositories: [REPO], tokens: [TOKEN] }).start()
  t.teardown(() => stand.close())
  const h = await startPipelineApp(t, {
    rules: [{ ...RULE, comment: 'failure' }],
    config: {
      reporting: { hosts: [{ provider: 'github', apiUrl: stand.url, token: TOKEN }] },
      links: { secret: 'e2e-link-secret' },
    },
  })
  const send = async (payload: unknown) => {
    const d = signedGitHub('pull_request', payload)
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202)
  }
  const green = { result: 'SUCCESS' as const, durationMs: 2000, stages: ['Checkout'] }
  h.jenkins.control.setDefaultScenario(green)
  await send(githubPullRequest('opened'))
  await settle(h)
  t.equal(stand.comments.length, 0, 'a green build opens no comment')

  runFailing(h)
  const broken = githubPullRequest('synchronize')
  broken.pull_request.head.sha = SHA_B
  await send(broken)
  await settle(h)
  t.equal(stand.comments.length, 1, 'the failure opens it')
  t.match(stand.comments[0]!.body, /\| train \| ❌ failure/)

  h.jenkins.control.setDefaultScenario(green)
  const fixed = githubPullRequest('synchronize')
  fixed.pull_request.head.sha = SHA_A
  await send(fixed)
  await settle(h)
  t.equal(stand.comments.length, 1, 'still one comment')
  t.match(stand.comments[0]!.body, /\| train \| ✅ success/, 'it shows the fix, not the old failure')
  t.same(stand.violations, [])
})

t.test('Jenkins down throughout: the status ends in error, never stuck pending', async (t) => {
  const { stand, h } = await setup(t, {
    jenkins: { url: 'http://127.0.0.1:9', requestTimeoutMs: 200 },
    timeoutHours: 0.01,
  })
  await h.push()
  await settle(h)
  t.equal(stand.statusesOf(REPO, SHA_B, 'tamer/train')[0]?.state, 'pending')
  h.jenkins.control.advance(40_000)
  await h.service.reporter.drain()
  const last = stand.statusesOf(REPO, SHA_B, 'tamer/train').at(-1)!
  t.equal(last.state, 'error')
  t.match(last.description, /Timed out after 0\.01 h/)
})

t.test('no credentials: skipped, one warning per repository', async (t) => {
  const { stand, h } = await setup(t, { token: null })
  runFailing(h)
  await h.push()
  await settle(h)
  await h.push({ after: SHA_C })
  await settle(h)
  t.equal(stand.requests.length, 0)
  t.equal(h.logs.filter((l) => l.includes('no reporting.hosts entry covers this repository')).length, 1)
})

t.test('a token GitHub rejects: a dead letter naming the config entry, never the token', async (t) => {
  const bad = 'ghp_rejectedToken0123456789abcdefghijklm'
  const { h } = await setup(t, { token: bad })
  runFailing(h)
  await h.push()
  await settle(h)
  const [build] = await h.builds()
  const res = await h.app.inject({ url: `/api/builds/${build!.id}`, headers: apiAuth() })
  const posts = res.json().posts as { state: string; lastError: string }[]
  t.ok(posts.length > 0)
  const dead = posts.filter((p) => p.state === 'dead')
  t.ok(dead.length > 0)
  t.match(dead[0]!.lastError, /reporting\.hosts\.0 was refused: GitHub .*401 Bad credentials/)
  t.notMatch(JSON.stringify(res.json()), bad)
  t.notOk(
    h.logs.some((l) => l.includes(bad)),
    'nor in the log',
  )
})

// The same with a real SIGKILL of `tamer serve`: test/reporting/kill-restart.test.ts. Here the app closes while
// the post hangs (closing waits for it: a short request time-out keeps that wait short).
t.test('stopped while a post hangs: exactly one post after the restart', async (t) => {
  const { stand, h } = await setup(t, { requestMs: 200 })
  runFailing(h)
  // The first post hangs (Tamer stops while it is out); the restart posts it again, once.
  stand.script('hang')
  await h.push()
  await h.drain()
  void h.service.reporter.drain()
  for (let i = 0; i < 50 && stand.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
  t.equal(stand.statuses.length, 0)
  await h.restart()
  await h.service.reporter.drain()
  t.equal(stand.statusesOf(REPO, SHA_B, 'tamer/train').filter((s) => s.state === 'pending').length, 1)
})
