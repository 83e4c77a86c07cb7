// config/ checks the schema and its own keys only (it imports nothing of ours but errors); the
// checks that need a domain (git URLs and tenants, rules' job names and templates, Jenkins settings,
// notification channels and addresses) are each domain's, run together by src/compose/config.ts.
// Each is shown refused through the checked loader with the same ConfigError as before the split,
// and let through by config/ alone (so the split is real, and a caller that skipped the checks would show).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { checkConfig, loadCheckedConfig, validateCheckedConfig } from '../../src/compose/config.js'
import { loadConfig, validateConfig } from '../../src/config/load.js'
import { ConfigError } from '../../src/errors.js'

function tempFile(t: { teardown(fn: () => void): void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-compose-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tamer.yaml')
  writeFileSync(file, text)
  return file
}

const CASES: [string, unknown, string][] = [
  [
    'git: a credential prefix with a query',
    { git: { credentials: [{ url: 'https://github.com/?x=1', password: 'p' }] } },
    'invalid config: git.credentials.0.url: must not contain a query or fragment',
  ],
  [
    'git: a host base with a token',
    { git: { hosts: [{ provider: 'github', url: 'https://tok@github.com' }] } },
    'invalid config: git.hosts.0.url: must not contain a user or token; use git.credentials',
  ],
  [
    'git: an unusable allowPrivateHosts entry',
    { git: { allowPrivateHosts: ['http://x/'] } },
    'invalid config: git.allowPrivateHosts.0: must be a host name or address, optionally with :port (IPv6 in brackets)',
  ],
  [
    'rules: a template that does not exist',
    { rules: [{ name: 'r', events: ['push'], template: 'nope', job: 'j/{repo}' }] },
    'invalid config: rules.0.template: no template nope in jenkinsfiles/',
  ],
  [
    'rules: a job name Jenkins refuses',
    { rules: [{ name: 'r', events: ['push'], job: 'a/../b' }] },
    'invalid config: rules.0.job: renders an invalid Jenkins job name',
  ],
  [
    'jenkins: credentials in the URL',
    { jenkins: { url: 'https://u:p@jenkins.example.com' } },
    'invalid config: jenkins.url: put credentials in jenkins.user and jenkins.token',
  ],
  [
    'notifications: a bad mail address',
    { notifications: { rules: [{ to: ['not an address'] }] } },
    'invalid config: notifications.rules.0.to.0: "not an address" is not a mail address',
  ],
  [
    'notifications: an unknown channel',
    { notifications: { rules: [{ channels: ['pager'] }] } },
    'invalid config: notifications.rules.0.channels.0: no chat channel named pager in notifications.channels',
  ],
]

t.test('every domain check runs from the checked loaders, with the same errors', async (t) => {
  for (const [name, value, message] of CASES) {
    const err = t.throws(() => validateCheckedConfig(value), name) as Error
    t.type(err, ConfigError, name)
    t.equal(err.message.slice(0, message.length), message, name)
    t.ok(validateConfig(value), `${name}: config/ alone lets it through`)
    t.throws(() => checkConfig(validateConfig(value)), { message: err.message }, `${name}: checkConfig refuses it`)
  }
})

t.test('a file goes through the same checks', async (t) => {
  const file = tempFile(t, 'notifications:\n  rules:\n    - to: ["ops at example"]\n')
  t.throws(() => loadCheckedConfig({ env: { TAMER_CONFIG: file } }), {
    message: 'invalid config: notifications.rules.0.to.0: "ops at example" is not a mail address',
  })
  t.ok(loadConfig({ env: { TAMER_CONFIG: file } }), 'config/ alone lets it through')
  t.ok(loadCheckedConfig({ env: {} }), 'the embedded defaults pass every check')
})
