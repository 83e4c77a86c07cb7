// Issue #9, item 1: one name per delivery picks its secret, its tenant and its events'
// repository. A payload that names two repositories is refused, so a shared secret cannot
// smuggle a delivery into a tenant whose repositories have their own secret.
import t from 'tap'
import type { PullRequestEvent, PushEvent } from '../../src/events/model.js'
import { SECRETS, startTestApp, testConfig, type TestApp } from '../support/app.js'
import * as P from '../support/payloads.js'
import {
  signedBitbucketCloud,
  signedBitbucketServer,
  signedGitHub,
  signedGitLab,
  type SignedDelivery,
} from '../support/sign.js'

const RISK = { bitbucket: 'risk-bb-secret', github: 'risk-gh-secret', gitlab: 'risk-gl-token' }

function riskConfig() {
  return testConfig({
    tenants: [{ name: 'risk', repositories: ['DS/*', 'risk-team/*', 'acme-ds/forecast'] }],
    providers: {
      github: { secrets: [SECRETS.github], repositories: [{ match: 'risk-team/*', secrets: [RISK.github] }] },
      gitlab: { tokens: [SECRETS.gitlab], repositories: [{ match: 'risk-team/*', tokens: [RISK.gitlab] }] },
      bitbucket: {
        secrets: [SECRETS.bitbucket],
        repositories: [
          { match: 'DS/*', secrets: [RISK.bitbucket] },
          { match: 'acme-ds/forecast', secrets: [RISK.bitbucket] },
        ],
      },
    },
  })
}

const post = (h: TestApp, route: string, d: SignedDelivery) =>
  h.app.inject({ method: 'POST', url: `/hooks/${route}`, headers: d.headers, payload: d.body })
const count = async (h: TestApp) => (await h.store.listDeliveries({ limit: 1000 })).length

t.test(
  'Bitbucket Server PR: a top-level repository cannot pick the secret for another target (the reproduced attack)',
  async (t) => {
    const h = await startTestApp(t, { config: riskConfig() })
    const pr = P.bitbucketServerPullRequest('pr:opened') // into DS/fraud-model: tenant risk, which has its own secret
    const plain = await post(h, 'bitbucket', signedBitbucketServer('pr:opened', pr))
    t.equal(plain.statusCode, 401, 'the shared secret does not sign a PR into risk')

    const smuggled = { ...pr, repository: { slug: 'harmless', project: { key: 'SHARED' } } }
    const attack = await post(h, 'bitbucket', signedBitbucketServer('pr:opened', smuggled))
    t.equal(attack.statusCode, 400, 'refused, not stored as tenant risk')
    t.equal(attack.json().code, 'TAMER_REPOSITORY_MISMATCH')
    t.match(
      attack.json().message,
      /pullRequest\.toRef\.repository is DS\/fraud-model but repository is SHARED\/harmless/,
    )
    t.equal(await count(h), 0, 'nothing stored')

    const riskSigned = await post(
      h,
      'bitbucket',
      signedBitbucketServer('pr:opened', smuggled, { secret: RISK.bitbucket }),
    )
    t.equal(riskSigned.statusCode, 400, "even risk's own secret cannot send a payload naming two repositories")
    t.equal(await count(h), 0)

    const genuine = await post(h, 'bitbucket', signedBitbucketServer('pr:opened', pr, { secret: RISK.bitbucket }))
    t.equal(genuine.statusCode, 202)
    const row = (await h.store.getDelivery(genuine.json().id))!
    t.equal(row.repository, 'DS/fraud-model')
    t.equal(row.tenant, 'risk')
    t.match((row.normalized as { events: PullRequestEvent[] }).events[0], {
      tenant: 'risk',
      repository: { fullName: 'DS/fraud-model' },
    })

    const agreeing = await post(
      h,
      'bitbucket',
      signedBitbucketServer(
        'pr:opened',
        { ...pr, repository: { slug: 'fraud-model', project: { key: 'ds' } } },
        { secret: RISK.bitbucket },
      ),
    )
    t.equal(agreeing.statusCode, 202, 'a top-level repository naming the same target (any case) is fine')
  },
)

t.test(
  'Bitbucket Server push: the repository secret and tenant follow `repository`; a stray toRef naming another is refused',
  async (t) => {
    const h = await startTestApp(t, { config: riskConfig() })
    const push = P.bitbucketServerRefsChanged()
    t.equal((await post(h, 'bitbucket', signedBitbucketServer('repo:refs_changed', push))).statusCode, 401)
    const stray = { ...push, pullRequest: { toRef: { repository: { slug: 'harmless', project: { key: 'SHARED' } } } } }
    const res = await post(h, 'bitbucket', signedBitbucketServer('repo:refs_changed', stray))
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'TAMER_REPOSITORY_MISMATCH')
    const ok = await post(h, 'bitbucket', signedBitbucketServer('repo:refs_changed', push, { secret: RISK.bitbucket }))
    t.equal(ok.statusCode, 202)
    t.equal((await h.store.getDelivery(ok.json().id))!.tenant, 'risk')
    t.equal(await count(h), 1)
  },
)

t.test('GitHub PR: base.repo must be the repository the event is about', async (t) => {
  const h = await startTestApp(t, { config: riskConfig() })
  const pr = P.githubPullRequest('opened')
  const base = pr.pull_request.base as { repo: { full_name: string } }
  // Signed with the shared secret for acme-ds/churn-model, but the PR's base (branch, sha) is risk's.
  base.repo.full_name = 'risk-team/scorecard'
  const res = await post(h, 'github', signedGitHub('pull_request', pr))
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'TAMER_REPOSITORY_MISMATCH')
  // The other way round: risk's repository, a base naming a shared one; risk's secret is needed and still refused.
  const pr2 = P.githubPullRequest('opened')
  pr2.repository = { ...pr2.repository, full_name: 'risk-team/scorecard' }
  t.equal(
    (await post(h, 'github', signedGitHub('pull_request', pr2))).statusCode,
    400,
    'a mismatch is refused before any secret is weighed',
  )
  t.equal(await count(h), 0)
  const fine = await post(h, 'github', signedGitHub('pull_request', P.githubPullRequest('opened')))
  t.equal(fine.statusCode, 202)
})

t.test(
  "Bitbucket Cloud PR (and the Post Webhooks add-on's Cloud-shaped bodies): destination must be the repository",
  async (t) => {
    const h = await startTestApp(t, { config: riskConfig() })
    const pr = P.bitbucketCloudPullRequest() // acme-ds/forecast: tenant risk, own secret
    t.equal(
      (await post(h, 'bitbucket', signedBitbucketCloud('pullrequest:created', pr))).statusCode,
      401,
      'shared secret refused for risk',
    )
    const smuggled = { ...pr, repository: { full_name: 'someone/harmless' } }
    const res = await post(h, 'bitbucket', signedBitbucketCloud('pullrequest:created', smuggled))
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'TAMER_REPOSITORY_MISMATCH')

    // The add-on posts Cloud-shaped bodies from a Server, with Server-shaped repositories.
    const addon = {
      ...pr,
      repository: { slug: 'harmless', project: { key: 'SHARED' } },
      pullrequest: {
        ...pr.pullrequest,
        destination: { ...pr.pullrequest.destination, repository: { slug: 'fraud-model', project: { key: 'DS' } } },
      },
    }
    const d = signedBitbucketServer('pullrequest:created', addon)
    d.headers['x-bitbucket-type'] = 'server'
    const addonRes = await post(h, 'bitbucket', d)
    t.equal(addonRes.statusCode, 400)
    t.equal(addonRes.json().code, 'TAMER_REPOSITORY_MISMATCH')
    t.equal(await count(h), 0)

    const ok = await post(h, 'bitbucket', signedBitbucketCloud('pullrequest:created', pr, { secret: RISK.bitbucket }))
    t.equal(ok.statusCode, 202)
    t.equal((await h.store.getDelivery(ok.json().id))!.tenant, 'risk')
  },
)

t.test(
  'GitLab: only `project` names the delivery; its secret and tenant follow it whatever else the body says',
  async (t) => {
    const h = await startTestApp(t, { config: riskConfig() })
    const mr = P.gitlabMergeRequest('open')
    const risky = {
      ...mr,
      project: { ...mr.project, path_with_namespace: 'risk-team/scorecard' },
      repository: { homepage: 'https://gitlab.example.com/shared/harmless' },
      object_attributes: {
        ...mr.object_attributes,
        target: { path_with_namespace: 'shared/harmless', web_url: 'https://gitlab.example.com/shared/harmless' },
      },
    }
    t.equal(
      (await post(h, 'gitlab', signedGitLab('Merge Request Hook', risky))).statusCode,
      401,
      'the shared token does not sign for risk-team/scorecard',
    )
    const ok = await post(h, 'gitlab', signedGitLab('Merge Request Hook', risky, { token: RISK.gitlab }))
    t.equal(ok.statusCode, 202)
    const row = (await h.store.getDelivery(ok.json().id))!
    t.equal(row.tenant, 'risk')
    t.match((row.normalized as { events: PushEvent[] }).events[0], {
      tenant: 'risk',
      repository: { fullName: 'risk-team/scorecard' },
    })
  },
)

t.test(
  'a repository secret signs only its repositories, and a repository-less delivery only with a provider-wide secret',
  async (t) => {
    const h = await startTestApp(t, { config: riskConfig() })
    t.equal(
      (
        await post(
          h,
          'bitbucket',
          signedBitbucketCloud('repo:push', P.bitbucketCloudPush([P.bbCloudChange({ name: 'main' })]), {
            secret: 'unknown',
          }),
        )
      ).statusCode,
      401,
    )
    const other = {
      ...P.bitbucketCloudPush([P.bbCloudChange({ name: 'main' })]),
      repository: { full_name: 'shared/harmless' },
    }
    const res = await post(h, 'bitbucket', signedBitbucketCloud('repo:push', other, { secret: RISK.bitbucket }))
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'TAMER_BAD_SIGNATURE')
    t.match(res.json().message, /not one configured for shared\/harmless/)
    const ping = await post(
      h,
      'bitbucket',
      signedBitbucketServer('diagnostics:ping', { test: true }, { secret: RISK.bitbucket }),
    )
    t.equal(ping.statusCode, 401, 'a ping names no repository: only a provider-wide secret signs it')
    t.equal((await post(h, 'bitbucket', signedBitbucketServer('diagnostics:ping', { test: true }))).statusCode, 200)
    t.equal(await count(h), 1)
  },
)
