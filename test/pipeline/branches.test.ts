// The branch registry (issue #14) through the real service: pushes of all four hosts (created,
// updated, deleted) signed and sent to the real routes, kept in real SQLite, read back through
// GET /api/repos and GET /api/repos/:repo/branches, tenant-scoped and paginated. Branch names with
// slashes, unicode, spaces and shell metacharacters are data: listed exactly as pushed.
import t from 'tap'
import { SECRETS } from '../support/app.js'
import { apiAuth, startPipelineApp } from '../support/pipeline-app.js'
import {
  bbCloudChange,
  bitbucketCloudPush,
  bitbucketServerRefsChanged,
  githubPush,
  gitlabPush,
  SHA_A,
  SHA_B,
  SHA_C,
  ZERO,
} from '../support/payloads.js'
import { signedBitbucketCloud, signedBitbucketServer, signedGitHub, signedGitLab } from '../support/sign.js'

const NASTY = 'feature/ü; rm -rf ~'
const enc = encodeURIComponent

t.test('pushes of every host keep the registry: created, updated, deleted', async (t) => {
  const h = await startPipelineApp(t, { rules: [] })
  const send = async (d: { headers: Record<string, string>; body: Buffer | string }, url: string) => {
    const res = await h.app.inject({ method: 'POST', url, headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202, `${url} stored`)
  }
  // GitHub: main updated, then the nasty branch created, then deleted.
  await send(signedGitHub('push', githubPush()), '/hooks/github')
  await send(
    signedGitHub(
      'push',
      githubPush({ ref: `refs/heads/${NASTY}`, before: ZERO, after: SHA_C, created: true, commits: [] }),
    ),
    '/hooks/github',
  )
  await send(
    signedGitHub('push', githubPush({ ref: 'refs/heads/old', before: ZERO, after: SHA_A, created: true })),
    '/hooks/github',
  )
  await send(
    signedGitHub('push', githubPush({ ref: 'refs/heads/old', before: SHA_A, after: ZERO, deleted: true, commits: [] })),
    '/hooks/github',
  )
  // GitLab, Bitbucket Cloud, Bitbucket Server.
  await send(signedGitLab('Push Hook', gitlabPush({ ref: 'refs/heads/dev' })), '/hooks/gitlab')
  await send(
    signedBitbucketCloud('repo:push', bitbucketCloudPush([bbCloudChange({ name: 'ü space', old: null })])),
    '/hooks/bitbucket',
  )
  await send(
    signedBitbucketServer(
      'repo:refs_changed',
      bitbucketServerRefsChanged({
        changes: [
          {
            ref: { id: 'refs/heads/gone', displayId: 'gone', type: 'BRANCH' },
            refId: 'refs/heads/gone',
            fromHash: SHA_A,
            toHash: ZERO,
            type: 'DELETE',
          },
          {
            ref: { id: 'refs/heads/new', displayId: 'new', type: 'BRANCH' },
            refId: 'refs/heads/new',
            fromHash: ZERO,
            toHash: SHA_B,
            type: 'ADD',
          },
        ],
      }),
    ),
    '/hooks/bitbucket',
  )
  await h.service.branches.catchUp()

  const repos = await h.app.inject({ url: '/api/repos', headers: apiAuth() })
  t.equal(repos.statusCode, 200)
  const byName = Object.fromEntries(repos.json().items.map((r: { repository: string }) => [r.repository, r]))
  t.same(
    Object.keys(byName).sort(),
    ['DS/fraud-model', 'acme-ds/churn-model', 'acme-ds/forecast', 'mike/diaspora'].sort(),
  )
  t.match(byName['acme-ds/churn-model'], { provider: 'github', defaultBranch: 'main', branches: 2, tenant: 'default' })

  const list = await h.app.inject({ url: `/api/repos/${enc('acme-ds/churn-model')}/branches`, headers: apiAuth() })
  t.equal(list.statusCode, 200)
  const items = list.json().items as { branch: string; commitSha: string; default: boolean; authorName: string }[]
  t.same(
    items.map((b) => b.branch),
    [NASTY, 'main'],
    'most recently changed first; the deleted branch is not live',
  )
  t.match(items[0], { branch: NASTY, commitSha: SHA_C, default: false })
  t.match(items[1], { branch: 'main', commitSha: SHA_B, default: true, authorName: 'Ada Lovelace' })
  const deleted = await h.app.inject({
    url: `/api/repos/${enc('acme-ds/churn-model')}/branches?state=deleted`,
    headers: apiAuth(),
  })
  t.same(
    deleted.json().items.map((b: { branch: string; state: string }) => [b.branch, b.state]),
    [['old', 'deleted']],
  )

  const names = async (repo: string) =>
    (await h.app.inject({ url: `/api/repos/${enc(repo)}/branches`, headers: apiAuth() }))
      .json()
      .items.map((b: { branch: string }) => b.branch)
  t.same(await names('mike/diaspora'), ['dev'])
  t.same(await names('acme-ds/forecast'), ['ü space'])
  t.same(await names('DS/fraud-model'), ['new'], 'a Bitbucket Server DELETE of a branch never seen is not live')
})

t.test('pages, tenants and unknown repositories', async (t) => {
  const h = await startPipelineApp(t, {
    rules: [],
    config: {
      tenants: [{ name: 'risk', repositories: ['risk-team/*'] }],
      api: { tokens: [SECRETS.api, { token: 'risk-only-token', tenants: ['risk'] }] },
    },
  })
  for (let i = 0; i < 5; i++) await h.push({ ref: `refs/heads/b${i}`, before: ZERO, after: SHA_B, created: true })
  await h.push({
    repository: {
      ...githubPush().repository,
      full_name: 'risk-team/pd',
      clone_url: 'https://github.com/risk-team/pd.git',
    },
  })
  await h.service.branches.catchUp()

  const seen: string[] = []
  let cursor: number | null = null
  do {
    const res: { statusCode: number; json(): { items: { branch: string }[]; nextCursor: number | null } } =
      await h.app.inject({
        url: `/api/repos/${enc('acme-ds/churn-model')}/branches?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: apiAuth(),
      })
    t.equal(res.statusCode, 200)
    const page = res.json()
    t.ok(page.items.length <= 2)
    seen.push(...page.items.map((b) => b.branch))
    cursor = page.nextCursor
  } while (cursor !== null)
  t.same(seen, ['b4', 'b3', 'b2', 'b1', 'b0'])

  const risk = { authorization: 'Bearer risk-only-token' }
  const repos = await h.app.inject({ url: '/api/repos', headers: risk })
  t.same(
    repos.json().items.map((r: { repository: string }) => r.repository),
    ['risk-team/pd'],
    'a scoped token lists its tenants only',
  )
  const other = await h.app.inject({ url: `/api/repos/${enc('acme-ds/churn-model')}/branches`, headers: risk })
  t.equal(other.statusCode, 404, "another tenant's repository is not found")
  t.equal(other.json().code, 'TAMER_NOT_FOUND')
  const unknown = await h.app.inject({ url: `/api/repos/${enc('nobody/nothing')}/branches`, headers: apiAuth() })
  t.equal(unknown.statusCode, 404)
  t.equal((await h.app.inject({ url: '/api/repos' })).statusCode, 401)
})

t.test('a push reaches the registry on its own, with no catchUp (its stored signal wakes a pass)', async (t) => {
  const h = await startPipelineApp(t, { rules: [] })
  const d = signedGitHub(
    'push',
    githubPush({ ref: 'refs/heads/on-its-own', before: ZERO, after: SHA_B, created: true }),
  )
  const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  t.equal(res.statusCode, 202)
  const names = async () => {
    const r = await h.app.inject({ url: `/api/repos/${enc('acme-ds/churn-model')}/branches`, headers: apiAuth() })
    return r.statusCode === 200 ? (r.json() as { items: { branch: string }[] }).items.map((b) => b.branch) : []
  }
  const end = Date.now() + 30_000
  while (!(await names()).includes('on-its-own') && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
  t.ok((await names()).includes('on-its-own'), 'the branch is listed')
})
