// Security issue #9, item 2: one tenant must not read another tenant's private repository. Tenant
// alpha signs, with its own secret, a push to alpha/innocent whose clone_url is risk-team's private
// repository (and `after: "HEAD"`). Before the fix Tamer fetched that URL with the git.credentials
// entry meant for risk-team (chosen by URL alone), alpha's scoped token read the private file
// through /api/diffs, and the same URL became Jenkins' REPO_URL. Against the real server, a real
// `git http-backend` (risk's repository needs risk's token) and the real pipeline.
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { createLogger } from '../../src/logging.js'
import { noChangedFiles } from '../../src/pipeline/changed-files.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { composeForTest, testConfig } from '../support/app.js'
import { githubPullRequest, githubPush, ZERO } from '../support/payloads.js'
import { signedGitHub } from '../support/sign.js'
import { serveGit } from '../../src/demo/git-http-server.js'
import { gitAvailable, makeRepo, tempDir } from './repo.js'
import { until } from '../support/until.js'

const RISK_TOKEN = 'ghp_RiskTeamReadToken0123456789abcdef'
const SECRET_LINE = 'PAYMENT-MODEL-WEIGHTS: do not leave the risk team'
const ALPHA_HOOK = 'alpha-webhook-secret-2026'
const RISK_HOOK = 'risk-webhook-secret-2026'
const ALPHA_API = 'alpha-dashboard-token-01'
const RISK_API = 'risk-dashboard-token-01'
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  const root = tempDir(t, 'tamer-tenants-git-')
  const risk = await makeRepo(t, { root, fullName: 'risk-team/private' })
  risk.write({ 'secret.txt': 'v1\n' })
  const r1 = await risk.commit('one')
  risk.write({ 'secret.txt': `v1\n${SECRET_LINE}\n` })
  const r2 = await risk.commit('the weights')
  await risk.push('main')
  const alpha = await makeRepo(t, { root, fullName: 'alpha/innocent' })
  alpha.write({ 'README.md': 'hello\n' })
  const a1 = await alpha.commit('one')
  alpha.write({ 'README.md': 'hello again\n' })
  const a2 = await alpha.commit('two')
  await alpha.push('main')

  // risk-team's repository answers only risk's token; alpha's is public.
  const server = await serveGit({
    projectRoot: root,
    authFor: (path) =>
      path.startsWith('/risk-team/') ? { username: 'x-access-token', password: RISK_TOKEN } : undefined,
  })
  t.teardown(server.close)
  const riskAuth = `Basic ${Buffer.from(`x-access-token:${RISK_TOKEN}`).toString('base64')}`
  const riskUrl = `${server.url}/risk-team/private.git`
  const alphaUrl = `${server.url}/alpha/innocent.git`

  const dir = tempDir(t, 'tamer-tenants-')
  const config = testConfig({
    dataDir: dir,
    tenants: [
      { name: 'alpha', repositories: ['alpha/*'] },
      { name: 'risk', repositories: ['risk-team/*'] },
    ],
    providers: {
      github: {
        secrets: [],
        repositories: [
          { match: 'alpha/*', secrets: [ALPHA_HOOK] },
          { match: 'risk-team/*', secrets: [RISK_HOOK] },
        ],
      },
    },
    api: {
      tokens: [
        { token: ALPHA_API, tenants: ['alpha'] },
        { token: RISK_API, tenants: ['risk'] },
      ],
    },
    git: {
      // The local server stands in for a GitHub Enterprise host: configured, over http, allowed to be on loopback.
      hosts: [{ provider: 'github', url: server.url }],
      protocols: ['http'],
      allowPrivateHosts: [new URL(server.url).host],
      // risk's token covers the whole host, so only its tenant scope keeps it from alpha's fetches.
      credentials: [{ url: `${server.url}/`, password: RISK_TOKEN, tenants: ['risk'] }],
    },
    rules: [{ name: 'every push and PR', events: ['push', 'pull_request'], job: 'ci/{repo}' }],
  })
  const logs: string[] = []
  const logger = createLogger(
    'info',
    new Writable({ write: (c, _e, cb) => (logs.push(...c.toString().split('\n').filter(Boolean)), cb()) }),
  )
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  // The pipeline runs (real timers, no Jenkins: builds are routed and recorded); nothing sends notices.
  const { app } = await composeForTest(config, { store, logger, changedFiles: noChangedFiles, hold: ['notifier'] })
  t.teardown(async () => {
    await app.close()
    await store.close()
  })

  const post = async (payload: unknown, secret: string, event = 'push') => {
    const d = signedGitHub(event, payload, { secret })
    return app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  }
  const push = (fullName: string, cloneUrl: string | undefined, before: string, after: string) =>
    githubPush({
      before,
      after,
      commits: [],
      head_commit: null,
      repository: { full_name: fullName, ...(cloneUrl ? { clone_url: cloneUrl } : {}), default_branch: 'main' },
    })
  const riskRequests = () => server.requests.filter((r) => r.path.startsWith('/risk-team/'))
  const planned = async (id: string) => {
    const dispatch = await until('the delivery to be routed', () => store.getDispatch(id))
    return { dispatch, builds: await store.listBuilds({ deliveryId: id, limit: 10 }) }
  }

  t.test(
    'the attack as reported: after "HEAD" and risk-team\'s URL — refused at intake, nothing stored, nothing fetched',
    async (t) => {
      server.requests.length = 0
      const res = await post(push('alpha/innocent', riskUrl, ZERO, 'HEAD'), ALPHA_HOOK)
      t.equal(res.statusCode, 400)
      t.match(res.json(), { code: 'TAMER_BAD_PAYLOAD', message: /after is not a full commit id/ })
      const list = await app.inject({ method: 'GET', url: '/api/deliveries', headers: bearer(ALPHA_API) })
      t.same(list.json().items, [], 'nothing stored')
      t.same(server.requests, [], 'the git server was never asked')
    },
  )

  t.test(
    "a real commit id with risk-team's URL: the diff and the build refuse the URL; risk's repository is never fetched",
    async (t) => {
      server.requests.length = 0
      const res = await post(push('alpha/innocent', riskUrl, r1, r2), ALPHA_HOOK)
      t.equal(res.statusCode, 202, 'alpha may sign pushes to its own repository')
      const id = res.json().id as string

      const api = await app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: bearer(ALPHA_API) })
      t.equal(api.statusCode, 422)
      t.match(api.json(), {
        code: 'TAMER_CLONE_URL_REFUSED',
        message: /alpha\/innocent \(github\): the payload's clone URL names another repository than alpha\/innocent/,
      })
      t.notMatch(api.body, SECRET_LINE)
      const page = await app.inject({ method: 'GET', url: `/diffs/${id}`, headers: bearer(ALPHA_API) })
      t.equal(page.statusCode, 422, 'the page says so too, with the code')
      t.equal(page.json().code, 'TAMER_CLONE_URL_REFUSED')

      const { dispatch, builds } = await planned(id)
      t.same(builds, [], 'no build for a push whose clone URL is another repository')
      t.match(
        JSON.stringify(dispatch.evaluation),
        /not started: Clone URL refused: alpha\/innocent \(github\): the payload's clone URL names another repository/,
      )
      t.same(riskRequests(), [], 'risk-team/private was never requested')
      t.same(
        server.requests.filter((r) => r.authorization !== undefined),
        [],
        'and no request carried a credential',
      )
    },
  )

  t.test("without a clone URL, a risk commit id is looked for in alpha's own repository only", async (t) => {
    server.requests.length = 0
    const res = await post(push('alpha/innocent', undefined, r1, r2), ALPHA_HOOK)
    t.equal(res.statusCode, 202)
    const api = await app.inject({ method: 'GET', url: `/api/diffs/${res.json().id}`, headers: bearer(ALPHA_API) })
    t.equal(api.statusCode, 502)
    t.match(api.json(), { code: 'TAMER_GIT_FAILED', message: new RegExp(`commit ${r1} is not in ${alphaUrl}`) })
    t.same(riskRequests(), [])
    t.same(
      server.requests.filter((r) => r.authorization !== undefined),
      [],
      "risk's token (valid for the whole host) was not sent for alpha",
    )
  })

  t.test("alpha's own push: its repository, fetched without risk's token; REPO_URL is the derived URL", async (t) => {
    server.requests.length = 0
    const res = await post(push('alpha/innocent', alphaUrl, a1, a2), ALPHA_HOOK)
    t.equal(res.statusCode, 202)
    const id = res.json().id as string
    const api = await app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: bearer(ALPHA_API) })
    t.equal(api.statusCode, 200, api.body.slice(0, 300))
    t.match(api.json().pushes[0].files, [{ path: 'README.md', kind: 'text' }])
    t.ok(server.requests.length > 0)
    t.same(
      server.requests.filter((r) => r.authorization !== undefined),
      [],
      "no credential for another tenant's repository",
    )
    const { builds } = await planned(id)
    t.match(builds, [{ tenant: 'alpha', parameters: { REPO_URL: alphaUrl, COMMIT_SHA: a2 } }])
  })

  t.test("risk's own push: fetched with risk's token; alpha's token cannot read it", async (t) => {
    server.requests.length = 0
    const res = await post(push('risk-team/private', riskUrl, r1, r2), RISK_HOOK)
    t.equal(res.statusCode, 202)
    const id = res.json().id as string
    const api = await app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: bearer(RISK_API) })
    t.equal(api.statusCode, 200, api.body.slice(0, 300))
    t.match(api.body, SECRET_LINE)
    t.ok(
      riskRequests().length > 0 && riskRequests().every((r) => r.authorization === riskAuth),
      "risk's token, on every request for its repository",
    )
    const other = await app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: bearer(ALPHA_API) })
    t.equal(other.statusCode, 404)
    const { builds } = await planned(id)
    t.match(builds, [{ tenant: 'risk', parameters: { REPO_URL: riskUrl, COMMIT_SHA: r2 } }])
  })

  t.test("a pull request \"from\" risk-team's repository: Jenkins gets alpha's repository, never risk's", async (t) => {
    const pr = githubPullRequest('opened')
    pr.pull_request.head = { ref: 'feature', sha: r2, repo: { full_name: 'risk-team/private', clone_url: riskUrl } }
    pr.pull_request.base = { ref: 'main', sha: a2, repo: { full_name: 'alpha/innocent' } }
    const payload = { ...pr, repository: { full_name: 'alpha/innocent', clone_url: alphaUrl, default_branch: 'main' } }
    const res = await post(payload, ALPHA_HOOK, 'pull_request')
    t.equal(res.statusCode, 202)
    const { builds } = await planned(res.json().id)
    t.match(builds, [{ tenant: 'alpha', parameters: { REPO_URL: alphaUrl } }])
    t.notMatch(JSON.stringify(builds), /risk-team/, "risk's URL is in no parameter")
  })

  t.test('revisions that are not full commit ids are refused wherever a payload sets them', async (t) => {
    for (const [before, after] of [
      [r1, 'main'],
      ['HEAD~1', r2],
      [r1, r2.slice(0, 12)],
      [r1, `--upload-pack=touch ${dir}/pwned`],
      [r1, `${r2}^`],
    ]) {
      const res = await post(push('alpha/innocent', alphaUrl, before!, after!), ALPHA_HOOK)
      t.equal(res.statusCode, 400, `${before}..${after}`)
      t.equal(res.json().code, 'TAMER_BAD_PAYLOAD')
    }
    const pr = githubPullRequest('opened')
    pr.pull_request.head = { ref: 'feature', sha: 'HEAD', repo: { full_name: 'alpha/innocent', clone_url: alphaUrl } }
    pr.pull_request.base = { ref: 'main', sha: a2, repo: { full_name: 'alpha/innocent' } }
    const res = await post(
      { ...pr, repository: { full_name: 'alpha/innocent', clone_url: alphaUrl } },
      ALPHA_HOOK,
      'pull_request',
    )
    t.match(res.json(), {
      statusCode: 400,
      code: 'TAMER_BAD_PAYLOAD',
      message: /pull_request\.head\.sha is not a commit id/,
    })
  })

  t.test('nothing above logged a credential', async (t) => {
    t.notOk(logs.some((l) => l.includes(RISK_TOKEN) || l.includes(riskAuth.slice(6))))
  })
}
