// Issue #13: the reporting.hosts entries are checked (one credential kind, a Bitbucket Server URL,
// URLs without credentials) with messages that name the key, never the token; their tokens and
// GitHub App keys are secrets every mask hides.
import t from 'tap'
import { validateCheckedConfig } from '../../src/compose/config.js'
import { maskOf } from '../../src/security/secrets.js'
import { hostRegistryFromConfig } from '../../src/reporting/hosts.js'

const TOKEN = 'reporting-token-value-123456'

t.test('a host entry needs exactly one credential its host takes', async (t) => {
  const bad: [unknown, RegExp][] = [
    [{ provider: 'github' }, /reporting\.hosts\.0: needs a token/],
    [{ provider: 'gitlab', app: { id: 1, privateKey: 'k' } }, /reporting\.hosts\.0\.app: only GitHub/],
    [{ provider: 'github', token: TOKEN, app: { id: 1, privateKey: 'k' } }, /not both/],
    [{ provider: 'bitbucket-server', token: TOKEN }, /reporting\.hosts\.0\.apiUrl: is required/],
    [{ provider: 'github', token: TOKEN, apiUrl: `https://x:${TOKEN}@ghe.example.com/api/v3` }, /without credentials/],
  ]
  for (const [host, message] of bad) {
    let err: Error | null = null
    try {
      validateCheckedConfig({ reporting: { hosts: [host] } })
    } catch (e) {
      err = e as Error
    }
    t.match(err?.message, message)
    t.notMatch(err?.message ?? '', TOKEN, 'the message never repeats the token')
  }
  const ok = validateCheckedConfig({
    reporting: {
      hosts: [
        {
          provider: 'github',
          app: { id: 12, privateKey: '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----' },
        },
        { provider: 'bitbucket-server', apiUrl: 'https://bitbucket.example.com', token: TOKEN },
      ],
    },
  })
  t.equal(ok.reporting.timeoutHours, 6)
  t.equal(ok.reporting.comment, 'always')
  t.equal(maskOf(ok)(`Bearer ${TOKEN} and abc`).includes(TOKEN), false, 'the token is masked')
})

t.test('the entry is picked by the signed repository and tenant only, never by a URL', async (t) => {
  const config = validateCheckedConfig({
    reporting: {
      hosts: [
        { provider: 'github', token: TOKEN, repositories: ['acme/*'] },
        {
          provider: 'github',
          token: `${TOKEN}-ghe`,
          apiUrl: 'https://ghe.example.com/api/v3',
          repositories: ['Platform/*'],
        },
      ],
    },
  })
  const hosts = hostRegistryFromConfig(config)
  t.equal(hosts.clientFor('github', 'default', 'acme/churn')?.credential, 'reporting.hosts.0')
  t.equal(hosts.clientFor('github', 'default', 'platform/svc')?.credential, 'reporting.hosts.1', 'globs ignore case')
  t.equal(hosts.clientFor('github', 'default', 'other/x'), null, 'no entry covers it')
  t.equal(hosts.clientFor('gitlab', 'default', 'acme/churn'), null, 'another provider')
  t.throws(() =>
    validateCheckedConfig({ reporting: { hosts: [{ provider: 'github', token: TOKEN, webUrl: 'https://x/' }] } }),
  )
})
