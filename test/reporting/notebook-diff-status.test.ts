// Issue #13: the second status context, `tamer/notebook-diff`, through a real push: a notebook changed between
// two commits of a real git repository (in a temp dir), one signed GitHub push to the real server, the pipeline
// and reporter running against the Jenkins emulator and the GitHub stand-in. The status links to the signed
// diff page, and that link, opened as anyone reading the commit would (no token), answers 200 with the diff.
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { serveGit } from '../../src/demo/git-http-server.js'
import { gitAvailable } from '../git/repo.js'
import { GitHubStandIn } from '../support/hosts/github.js'
import { githubPush } from '../support/payloads.js'
import { startPipelineApp } from '../support/pipeline-app.js'
import { notebookPush } from '../support/push-diffs.js'
import { signedGitHub } from '../support/sign.js'

const TOKEN = 'ghp_diffStandInToken0123456789abcdefghijk'
const REPO = 'acme-ds/churn-model'

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('a push that changed a notebook: tamer/notebook-diff links the signed diff page, which opens', async (t) => {
    const { repo, before, after } = await notebookPush(t, REPO)
    const stand = await new GitHubStandIn({ repositories: [REPO], tokens: [TOKEN] }).start()
    t.teardown(() => stand.close())
    // The repository on a git server over HTTP, allowed as a self-hosted one on a private address is.
    const server = await serveGit({ projectRoot: fileURLToPath(repo.base) })
    t.teardown(server.close)
    const host = new URL(server.url).host
    const h = await startPipelineApp(t, {
      rules: [{ name: 'train', repository: 'acme-ds/*', events: ['push'], template: 'tests-only', job: 'ds/{repo}' }],
      config: {
        reporting: { hosts: [{ provider: 'github', apiUrl: stand.url, token: TOKEN }] },
        links: { secret: 'diff-status-link-secret' },
        git: { hosts: [{ provider: 'github', url: server.url }], protocols: ['http'], allowPrivateHosts: [host] },
      },
    })
    h.jenkins.control.setDefaultScenario({ result: 'SUCCESS', durationMs: 1000, stages: ['Checkout'] })
    const d = signedGitHub(
      'push',
      githubPush({
        before,
        after,
        commits: [],
        head_commit: null,
        repository: { ...githubPush().repository, full_name: REPO, clone_url: `${server.url}/${REPO}.git` },
      }),
    )
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202)
    const deliveryId = res.json().id as string
    for (let i = 0; i < 4; i++) {
      await h.drain()
      await h.service.reporter.drain()
      h.advance(5_000)
    }

    const diffStatuses = stand.statusesOf(REPO, after, 'tamer/notebook-diff')
    t.equal(diffStatuses.length, 1, 'one notebook-diff status for the commit')
    const s = diffStatuses[0]!
    t.equal(s.state, 'success')
    t.equal(s.description, '1 notebook changed: open the notebook diff')
    t.equal(stand.statusesOf(REPO, after, 'tamer/train').at(-1)?.state, 'success', 'beside the build status')
    const link = new URL(s.target_url!)
    t.equal(link.pathname, `/diffs/${deliveryId}`)
    t.match(link.search, /^\?exp=\d+&sig=[\w-]+$/, 'a signed link')
    t.same(stand.violations, [])

    const page = await h.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` })
    t.equal(page.statusCode, 200, 'the link opens without a token')
    t.match(page.headers['content-type'], /^text\/html/)
    t.match(page.body, 'train.ipynb')
    t.match(page.body, 'epochs=5', 'with the changed source')
    const unsigned = await h.app.inject({ method: 'GET', url: link.pathname })
    t.equal(unsigned.statusCode, 401, 'the page without the signature is not open')
  })
}
