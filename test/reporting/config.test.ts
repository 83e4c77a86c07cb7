// Issue #13: the reporting.hosts entries are checked (one credential kind, a Bitbucket Server URL,
// URLs without credentials) with messages that name the key, never the token; their tokens and
// GitHub App keys are secrets every mask hides.
import t from 'tap'
import { validateCheckedConfig } from '../../src/compose/config.js'
import { maskOf } from '../../src/security/secrets.js'

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
