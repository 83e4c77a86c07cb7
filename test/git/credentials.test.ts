// Which credential a clone URL gets: longest prefix at a path-segment boundary, scheme and host
// case-insensitive, userinfo stripped from http(s) URLs only, and the git config that carries it.
import t from 'tap'
import { credentialPrefixProblem } from '../../src/config/credential-url.js'
import { credentialFor, credentialGitConfig, withoutUserinfo, type GitCredential } from '../../src/git/credentials.js'

const cred = (url: string): GitCredential => ({ url, username: 'x-access-token', password: `token-for-${url}` })

t.test('longest prefix at a segment boundary', async (t) => {
  const all = [
    cred('https://github.com/'),
    cred('https://github.com/acme'),
    cred('https://github.com/acme/models/'),
    cred('https://gitlab.example.com/ds/team/'),
  ]
  const pick = (url: string) => credentialFor(url, all)?.url
  t.equal(pick('https://github.com/acme/x.git'), 'https://github.com/acme')
  t.equal(pick('https://github.com/acme/models/churn.git'), 'https://github.com/acme/models/')
  t.equal(pick('https://github.com/acme-evil/x.git'), 'https://github.com/', 'acme does not cover acme-evil')
  t.equal(pick('https://github.com/acme'), 'https://github.com/acme')
  t.equal(pick('HTTPS://GitHub.COM/acme/x.git'), 'https://github.com/acme', 'scheme and host are case-insensitive')
  t.equal(pick('https://github.com:443/acme/x.git'), 'https://github.com/acme', 'the default port is the same origin')
  t.equal(pick('https://gitlab.example.com/ds/team/sub/nb.git'), 'https://gitlab.example.com/ds/team/')
  t.equal(pick('https://gitlab.example.com/ds/teamwork/nb.git'), undefined)
  t.equal(pick('https://gitlab.example.com/ds/team'), undefined, 'a trailing slash asks for something under it')
  t.equal(pick('http://github.com/acme/x.git'), undefined, 'an https credential is never sent over http')
  t.equal(pick('https://github.com.evil.example/acme/x.git'), undefined)
  t.equal(pick('https://gitlab.example.com:8443/ds/team/x.git'), undefined, 'another port is another origin')
  t.equal(pick('git@github.com:acme/x.git'), undefined, 'ssh remotes get nothing')
  t.equal(pick('ssh://git@github.com/acme/x.git'), undefined)
  t.equal(
    credentialFor('https://github.com/acme/ds.git', [cred('https://github.com/acme/ds')])?.url,
    'https://github.com/acme/ds',
    '…/ds also covers …/ds.git',
  )
  t.equal(credentialFor('https://github.com/acme/x.git', []), undefined)
})

t.test('userinfo is stripped from http(s) URLs only', async (t) => {
  t.equal(withoutUserinfo('https://user:ghp_secret@github.com/acme/x.git'), 'https://github.com/acme/x.git')
  t.equal(withoutUserinfo('HTTP://token@host:8080/x.git'), 'HTTP://host:8080/x.git')
  t.equal(withoutUserinfo('https://github.com/acme/x.git'), 'https://github.com/acme/x.git')
  t.equal(
    withoutUserinfo('https://github.com/acme/x@y.git'),
    'https://github.com/acme/x@y.git',
    'an @ in the path is not userinfo',
  )
  t.equal(
    withoutUserinfo('ssh://git@github.com/acme/x.git'),
    'ssh://git@github.com/acme/x.git',
    'the ssh user is not a secret',
  )
  t.equal(withoutUserinfo('git@github.com:acme/x.git'), 'git@github.com:acme/x.git')
})

t.test('prefix problems never quote the value', async (t) => {
  t.equal(credentialPrefixProblem('https://github.com/acme/'), undefined)
  t.equal(credentialPrefixProblem('http://localhost:3000'), undefined)
  t.equal(credentialPrefixProblem('ssh://github.com/acme/'), 'must start with https:// or http://')
  t.equal(credentialPrefixProblem('github.com/acme/'), 'must start with https:// or http://')
  t.equal(
    credentialPrefixProblem('https://u:secret@github.com/'),
    'must not contain a user or token; use username and password',
  )
  t.equal(credentialPrefixProblem('https://github.com/?x=1'), 'must not contain a query or fragment')
  t.equal(credentialPrefixProblem('https://'), 'is not a valid URL')
})

t.test('the git config: a Basic header for this URL only, redirects refused', async (t) => {
  const env = credentialGitConfig('https://github.com/acme/x.git', {
    url: 'https://github.com/acme/',
    username: 'x-access-token',
    password: 'ghp_abc',
  })
  t.same(env, {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'http.https://github.com/acme/x.git.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('x-access-token:ghp_abc').toString('base64')}`,
    GIT_CONFIG_KEY_1: 'http.https://github.com/acme/x.git.followRedirects',
    GIT_CONFIG_VALUE_1: 'false',
  })
})
