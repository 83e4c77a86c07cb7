// Issue #13 end to end on the other hosts: a failing push through the real server, pipeline and
// Jenkins emulator posts `pending`, then the host's failure state linking the Jenkins build, to
// the GitLab, Bitbucket Cloud and Bitbucket Server stand-ins (each checks requests against its documented shapes).
// GitHub's run is test/reporting/github-e2e.test.ts.
import t from 'tap'
import {
  bbCloudChange,
  bitbucketCloudPush,
  bitbucketServerRefsChanged,
  gitlabPush,
  SHA_B,
} from '../support/payloads.js'
import { startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'
import { signedBitbucketCloud, signedBitbucketServer, signedGitLab } from '../support/sign.js'
import { GitLabStandIn } from '../support/hosts/gitlab.js'
import { BitbucketCloudStandIn } from '../support/hosts/bitbucket-cloud.js'
import { BitbucketServerStandIn } from '../support/hosts/bitbucket-server.js'
import type { Recorded } from '../support/hosts/stand-in.js'

const TOKEN = 'e2e-host-token-0123456789abcdef'

const rule = (repository: string) => ({
  name: 'train',
  repository,
  events: ['push'],
  template: 'tests-only',
  job: 'ds/{repo}/train',
})

async function settle(h: PipelineHarness) {
  for (let i = 0; i < 8; i++) {
    await h.drain()
    await h.service.reporter.drain()
    h.advance(5_000)
  }
  await h.drain()
  await h.service.reporter.drain()
}

async function failingPush(
  t: { teardown(fn: () => unknown): void },
  host: Record<string, unknown>,
  repository: string,
  send: (h: PipelineHarness) => Promise<number>,
) {
  const h = await startPipelineApp(t, { rules: [rule(repository)], config: { reporting: { hosts: [host] } } })
  h.jenkins.control.setDefaultScenario({
    result: 'FAILURE',
    durationMs: 4000,
    stages: ['Checkout', 'Unit tests'],
    failingStage: 'Unit tests',
  })
  const status = await send(h)
  await settle(h)
  const [build] = await h.builds()
  return { h, status, buildUrl: build!.buildUrl }
}

const bodies = (requests: Recorded[], pattern: RegExp) =>
  requests.filter((r) => r.method === 'POST' && pattern.test(r.path)).map((r) => r.body as Record<string, unknown>)

t.test('GitLab: pending, then failed with the Jenkins build as target', async (t) => {
  const stand = await new GitLabStandIn(TOKEN).start()
  t.teardown(() => stand.close())
  stand.addProject('mike/diaspora')
  const { status, buildUrl } = await failingPush(
    t,
    { provider: 'gitlab', apiUrl: stand.apiUrl, token: TOKEN },
    'mike/*',
    async (h) => {
      const d = signedGitLab('Push Hook', gitlabPush())
      return (await h.app.inject({ method: 'POST', url: '/hooks/gitlab', headers: d.headers, payload: d.body }))
        .statusCode
    },
  )
  t.equal(status, 202)
  const posted = bodies(stand.requests, new RegExp(`/statuses/${SHA_B}$`))
  t.ok(posted.length >= 2, `${posted.length} posts`)
  t.equal(posted[0]!.state, 'pending')
  t.equal(posted.at(-1)!.state, 'failed')
  t.equal(posted.at(-1)!.target_url, buildUrl)
  t.same(stand.violations, [])
})

t.test('GitLab: a commit of an open merge request gets its statuses on the MR pipeline', async (t) => {
  const stand = await new GitLabStandIn(TOKEN).start()
  t.teardown(() => stand.close())
  stand.addProject('mike/diaspora', { mergeRequests: [4] })
  stand.describeMergeRequest('mike/diaspora', 4, {
    state: 'opened',
    commits: [SHA_B],
    pipelines: [
      { id: 70, sha: SHA_B },
      { id: 71, sha: SHA_B },
    ],
  })
  const { status } = await failingPush(
    t,
    { provider: 'gitlab', apiUrl: stand.apiUrl, token: TOKEN },
    'mike/*',
    async (h) => {
      const d = signedGitLab('Push Hook', gitlabPush())
      return (await h.app.inject({ method: 'POST', url: '/hooks/gitlab', headers: d.headers, payload: d.body }))
        .statusCode
    },
  )
  t.equal(status, 202)
  const posted = bodies(stand.requests, new RegExp(`/statuses/${SHA_B}$`))
  t.ok(posted.length >= 2, `${posted.length} posts`)
  t.ok(
    posted.every((b) => b.pipeline_id === 71),
    "every status on the MR's newest pipeline for the commit",
  )
  t.equal(posted.at(-1)!.state, 'failed')
  t.same(stand.violations, [])
})

t.test('Bitbucket Cloud: INPROGRESS, then FAILED with the Jenkins build as URL', async (t) => {
  const stand = await new BitbucketCloudStandIn({ basic: `tamer-bot:${TOKEN}` }).start()
  t.teardown(() => stand.close())
  stand.addRepository('acme-ds/forecast')
  const { status, buildUrl } = await failingPush(
    t,
    { provider: 'bitbucket-cloud', apiUrl: stand.apiUrl, username: 'tamer-bot', token: TOKEN },
    'acme-ds/*',
    async (h) => {
      const d = signedBitbucketCloud('repo:push', bitbucketCloudPush([bbCloudChange({ name: 'main' })]))
      return (await h.app.inject({ method: 'POST', url: '/hooks/bitbucket', headers: d.headers, payload: d.body }))
        .statusCode
    },
  )
  t.equal(status, 202)
  const posted = bodies(stand.requests, new RegExp(`/commit/${SHA_B}/statuses/build$`))
  t.ok(posted.length >= 2, `${posted.length} posts`)
  t.equal(posted[0]!.state, 'INPROGRESS')
  t.equal(posted.at(-1)!.state, 'FAILED')
  t.equal(posted.at(-1)!.url, buildUrl)
  t.same(stand.violations, [])
})

t.test('Bitbucket Server: INPROGRESS, then FAILED on the builds resource, the Jenkins build as URL', async (t) => {
  const stand = await new BitbucketServerStandIn(TOKEN).start()
  t.teardown(() => stand.close())
  stand.addRepository('DS/fraud-model')
  const { status, buildUrl } = await failingPush(
    t,
    { provider: 'bitbucket-server', apiUrl: stand.url, token: TOKEN },
    'DS/*',
    async (h) => {
      const d = signedBitbucketServer('repo:refs_changed', bitbucketServerRefsChanged())
      return (await h.app.inject({ method: 'POST', url: '/hooks/bitbucket', headers: d.headers, payload: d.body }))
        .statusCode
    },
  )
  t.equal(status, 202)
  const posted = bodies(stand.requests, new RegExp(`/commits/${SHA_B}/builds$`))
  t.ok(posted.length >= 2, `${posted.length} posts`)
  t.equal(posted[0]!.state, 'INPROGRESS')
  t.equal(posted.at(-1)!.state, 'FAILED')
  t.equal(posted.at(-1)!.url, buildUrl)
  t.same(stand.violations, [])
})
