// Which URL a repository is fetched and checked out from: `<base>/<full name>.git` on a configured
// host of the event's provider (and tenant); the payload's URL only picks the host, and one that
// names another host or repository is refused. Credentials follow the tenant.
import t from 'tap'
import { validateCheckedConfig } from '../../src/compose/config.js'
import type { ProviderName, PullRequestEvent } from '../../src/events/model.js'
import { credentialFor, type GitCredential } from '../../src/git/credentials.js'
import { DEFAULT_GIT_HOSTS, pullRequestRemoteOf, remoteOf, type GitHost } from '../../src/git/remote.js'

const subject = (provider: ProviderName, fullName: string, https: string | null, tenant = 'default') => ({
  provider,
  tenant,
  repository: { fullName, cloneUrl: { https, ssh: null } },
})
const refused = (fn: () => unknown, message: RegExp) => {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code === 'TAMER_CLONE_URL_REFUSED' && message.test((err as Error).message)
  }
  return false
}

t.test('the public hosts by default', async (t) => {
  t.equal(
    remoteOf(subject('github', 'acme/churn', 'https://github.com/acme/churn.git'), DEFAULT_GIT_HOSTS),
    'https://github.com/acme/churn.git',
  )
  t.equal(
    remoteOf(subject('github', 'Acme/Churn', 'https://github.com/acme/churn'), DEFAULT_GIT_HOSTS),
    'https://github.com/Acme/Churn.git',
    'names compare without case and .git',
  )
  t.equal(
    remoteOf(subject('github', 'octokitty/testing', null), DEFAULT_GIT_HOSTS),
    'https://github.com/octokitty/testing.git',
    'no URL in the payload: the one host',
  )
  t.equal(
    remoteOf(subject('gitlab', 'group/sub/project', 'https://gitlab.com/group/sub/project.git'), DEFAULT_GIT_HOSTS),
    'https://gitlab.com/group/sub/project.git',
  )
  t.equal(
    remoteOf(subject('bitbucket-cloud', 'team/repo', null), DEFAULT_GIT_HOSTS),
    'https://bitbucket.org/team/repo.git',
  )
  t.ok(
    refused(
      () =>
        remoteOf(subject('gitlab', 'mike/diaspora', 'https://gitlab.example.com/mike/diaspora.git'), DEFAULT_GIT_HOSTS),
      /mike\/diaspora \(gitlab\): the payload's clone URL is on gitlab\.example\.com, which is not a git\.hosts entry for gitlab$/,
    ),
    'a self-hosted GitLab needs configuring',
  )
  t.ok(
    refused(
      () => remoteOf(subject('bitbucket-server', 'DS/model', null), DEFAULT_GIT_HOSTS),
      /no git\.hosts entry for bitbucket-server; add the host's base URL to git\.hosts/,
    ),
  )
})

t.test('configured hosts: Bitbucket Server under /scm, a GitLab under a path, per tenant', async (t) => {
  const hosts: GitHost[] = [
    { provider: 'bitbucket-server', url: 'https://bitbucket.example.com/scm' },
    { provider: 'gitlab', url: 'https://gitlab.example.com/gitlab/' },
    { provider: 'github', url: 'https://github.com' },
    { provider: 'github', url: 'https://ghe.risk.example.com', tenants: ['risk'] },
  ]
  t.equal(
    remoteOf(
      subject('bitbucket-server', 'DS/fraud-model', 'http://bitbucket.example.com/scm/ds/fraud-model.git'),
      hosts,
    ),
    'https://bitbucket.example.com/scm/ds/fraud-model.git',
    'the project key as Bitbucket spells it in clone links; https from the base, not http from the payload',
  )
  t.equal(
    remoteOf(subject('bitbucket-server', '~ADA/notes', null), hosts),
    'https://bitbucket.example.com/scm/~ada/notes.git',
    'a personal project',
  )
  t.equal(
    remoteOf(subject('gitlab', 'ds/team/model', 'https://gitlab.example.com/gitlab/ds/team/model.git'), hosts),
    'https://gitlab.example.com/gitlab/ds/team/model.git',
  )
  t.equal(
    remoteOf(subject('github', 'risk/model', 'https://ghe.risk.example.com/risk/model.git', 'risk'), hosts),
    'https://ghe.risk.example.com/risk/model.git',
  )
  t.equal(
    remoteOf(subject('github', 'risk/model', 'https://github.com/risk/model.git', 'risk'), hosts),
    'https://github.com/risk/model.git',
    'github.com serves every tenant',
  )
  t.ok(
    refused(
      () => remoteOf(subject('github', 'alpha/x', 'https://ghe.risk.example.com/alpha/x.git', 'alpha'), hosts),
      /on ghe\.risk\.example\.com, which is not a git\.hosts entry for github serving tenant alpha/,
    ),
    "another tenant's host",
  )
  t.ok(
    refused(
      () => remoteOf(subject('github', 'alpha/x', null, 'risk'), hosts),
      /names no clone URL to tell which of 2 github hosts/,
    ),
  )
})

t.test('the payload cannot choose the path, the scheme or the host', async (t) => {
  const g = DEFAULT_GIT_HOSTS
  t.ok(
    refused(
      () => remoteOf(subject('github', 'alpha/innocent', 'https://github.com/risk-team/private.git'), g),
      /names another repository than alpha\/innocent/,
    ),
  )
  t.ok(
    refused(
      () => remoteOf(subject('github', 'alpha/innocent', 'https://127.0.0.1/alpha/innocent.git'), g),
      /on 127\.0\.0\.1, which is not/,
    ),
  )
  t.ok(
    refused(
      () => remoteOf(subject('github', 'alpha/innocent', 'https://github.com.evil.example/alpha/innocent.git'), g),
      /on github\.com\.evil\.example/,
    ),
  )
  for (const name of [
    'alpha/../risk-team/private',
    'alpha/./x',
    'alpha',
    'alpha/x?y=1',
    'alpha/x#y',
    'alpha/x y',
    'alpha/%2e%2e',
    'alpha//x',
    '/alpha/x',
    'alpha/x\nz',
    'alpha/..',
  ])
    t.ok(
      refused(
        () => remoteOf(subject('github', name, null), g),
        /the repository name (is not owner\/name|has a part that is not a plain name)/,
      ),
      JSON.stringify(name),
    )
  t.equal(
    remoteOf(subject('github', 'acme/.github', null), g),
    'https://github.com/acme/.github.git',
    'a name may start with a dot',
  )
})

t.test('a pull request builds from its fork only within the tenant', async (t) => {
  const tenantOf = (r: string) => (r.startsWith('risk-team/') ? 'risk' : r.startsWith('alpha/') ? 'alpha' : 'default')
  const pr = (source: string | null): PullRequestEvent => ({
    kind: 'pull_request',
    provider: 'github',
    hostDeliveryId: null,
    tenant: 'alpha',
    receivedAt: '',
    action: 'opened',
    number: 1,
    title: '',
    url: null,
    repository: {
      fullName: 'alpha/model',
      cloneUrl: { https: 'https://github.com/alpha/model.git', ssh: null },
      webUrl: null,
      defaultBranch: 'main',
    },
    source: { branch: 'f', sha: null, repositoryFullName: source, cloneUrl: 'https://evil.example/x.git' },
    target: { branch: 'main', sha: null },
    author: { name: null, email: null, username: null },
  })
  t.equal(
    pullRequestRemoteOf(pr('alpha/model-fork'), DEFAULT_GIT_HOSTS, tenantOf),
    'https://github.com/alpha/model-fork.git',
    'a fork of the same tenant, on the same host',
  )
  t.equal(
    pullRequestRemoteOf(pr('risk-team/private'), DEFAULT_GIT_HOSTS, tenantOf),
    'https://github.com/alpha/model.git',
    "another tenant's repository: the target instead",
  )
  t.equal(pullRequestRemoteOf(pr(null), DEFAULT_GIT_HOSTS, tenantOf), 'https://github.com/alpha/model.git')
  t.equal(
    pullRequestRemoteOf(pr('alpha/../risk-team/private'), DEFAULT_GIT_HOSTS, tenantOf),
    'https://github.com/alpha/model.git',
  )
})

t.test('credentials: a tenant gets its own and shared ones; no tenant gets shared ones only', async (t) => {
  const c = (url: string, tenants?: string[]): GitCredential => ({
    url,
    username: 'x-access-token',
    password: `for ${url} ${tenants}`,
    ...(tenants ? { tenants } : {}),
  })
  const all = [
    c('https://github.com/', ['*']),
    c('https://github.com/risk-team/', ['risk']),
    c('https://github.com/alpha/', ['alpha', 'beta']),
  ]
  t.equal(credentialFor('https://github.com/risk-team/private.git', all, 'risk')?.url, 'https://github.com/risk-team/')
  t.equal(
    credentialFor('https://github.com/risk-team/private.git', all, 'alpha')?.url,
    'https://github.com/',
    "alpha falls back to the shared one, never risk's",
  )
  t.equal(credentialFor('https://github.com/alpha/x.git', all, 'beta')?.url, 'https://github.com/alpha/')
  t.equal(
    credentialFor('https://github.com/risk-team/private.git', all)?.url,
    'https://github.com/',
    'no tenant: shared only',
  )
  t.equal(
    credentialFor('https://github.com/risk-team/private.git', [c('https://github.com/risk-team/', ['risk'])], 'alpha'),
    undefined,
  )
  t.equal(
    credentialFor('https://github.com/x/y.git', [c('https://github.com/')], 'alpha')?.url,
    'https://github.com/',
    'no tenants: every tenant (only possible without configured tenants)',
  )

  const tenants = [{ name: 'risk', repositories: ['risk-team/*'] }]
  t.throws(
    () =>
      validateCheckedConfig({
        tenants,
        git: { credentials: [{ url: 'https://github.com/risk-team/', password: 'x' }] },
      }),
    {
      message:
        'invalid config: git.credentials.0.tenants: required when tenants are configured: name the tenants whose repositories this token may read ("*" for all)',
    },
  )
  t.throws(
    () =>
      validateCheckedConfig({
        tenants,
        git: { credentials: [{ url: 'https://github.com/risk-team/', password: 'x', tenants: ['riks'] }] },
      }),
    { message: 'invalid config: git.credentials.0.tenants: no tenant is named "riks"' },
  )
  t.throws(
    () =>
      validateCheckedConfig({
        tenants,
        git: { hosts: [{ provider: 'github', url: 'https://github.com', tenants: ['nobody'] }] },
      }),
    { message: 'invalid config: git.hosts.0.tenants: no tenant is named "nobody"' },
  )
  t.ok(
    validateCheckedConfig({
      tenants,
      git: {
        credentials: [
          { url: 'https://github.com/risk-team/', password: 'x', tenants: ['risk'] },
          { url: 'https://github.com/', password: 'y', tenants: ['*'] },
        ],
      },
    }),
  )
  t.ok(
    validateCheckedConfig({ git: { credentials: [{ url: 'https://github.com/', password: 'y' }] } }),
    'one tenant: no need to say',
  )
})
