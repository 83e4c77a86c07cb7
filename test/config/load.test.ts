// Config: embedded defaults, file + env overrides, errors that name the key; the CLI exits 2.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { loadCheckedConfig } from '../../src/compose/config.js'
import { createTenantResolver } from '../../src/config/tenants.js'
import { ConfigError } from '../../src/errors.js'
import { runTamer } from '../support/cli.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function tempFile(t: { teardown(fn: () => void): void }, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tamer.yaml')
  writeFileSync(file, text)
  return file
}

t.test('embedded defaults run with zero setup', async (t) => {
  const c = loadCheckedConfig({ env: {} })
  t.equal(c.server.port, 8080)
  t.equal(c.server.host, '0.0.0.0')
  t.equal(c.dataDir, './data')
  t.equal(c.store.engine, 'sqlite')
  t.equal(c.store.sqlite.synchronous, 'FULL')
  t.same(c.providers.github.secrets, [])
  t.same(c.api.tokens, [])
  t.equal(c.server.maxBodyBytes, 25 * 1024 * 1024)
  t.equal(c.diffs.engine, 'native')
  t.equal(c.links.secret, '', 'no signed links until a secret is set')
})

t.test('file, then env; env lists are comma-separated for rotation', async (t) => {
  const file = tempFile(
    t,
    'server:\n  port: 9000\n  logLevel: debug\nproviders:\n  github:\n    secrets: [from-file]\n',
  )
  const c = loadCheckedConfig({
    env: {
      TAMER_CONFIG: file,
      TAMER_HOST: '127.0.0.1',
      TAMER_DATA_DIR: '/var/lib/tamer',
      TAMER_GITHUB_SECRET: 'new-secret, old-secret',
      TAMER_GITLAB_TOKEN: 'gl',
      TAMER_BITBUCKET_SECRET: 'bb',
      TAMER_API_TOKEN: 'api-token-1234',
      TAMER_LINK_SECRET: 'links',
      TAMER_DIFF_ENGINE: 'nbdime',
    },
  })
  t.equal(c.links.secret, 'links')
  t.equal(c.diffs.engine, 'nbdime')
  t.equal(c.server.port, 9000)
  t.equal(c.server.logLevel, 'debug')
  t.equal(c.server.host, '127.0.0.1')
  t.equal(c.dataDir, '/var/lib/tamer')
  t.same(c.providers.github.secrets, ['new-secret', 'old-secret'])
  t.same(c.providers.gitlab.tokens, ['gl'])
  t.same(c.providers.bitbucket.secrets, ['bb'])
  t.same(c.api.tokens, ['api-token-1234'])
  t.equal(loadCheckedConfig({ env: { TAMER_CONFIG: file, TAMER_PORT: '9100' } }).server.port, 9100)
})

t.test('errors name the bad key and what is wrong', async (t) => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['server:\n  prot: 1\n', {}, /server\.prot: unknown key/],
    ['server:\n  port: 70000\n', {}, /server\.port: must be <= 65535/],
    ['server:\n  port: "x"\n', {}, /server\.port: must be integer/],
    [
      'store:\n  sqlite:\n    synchronous: OFF\n',
      {},
      /store\.sqlite\.synchronous: must be one of the allowed values \("FULL", "NORMAL"\)/,
    ],
    [
      'providers:\n  github:\n    secrets: [""]\n',
      {},
      /providers\.github\.secrets\.0: must NOT have fewer than 1 characters/,
    ],
    ['providers:\n  gitea: {}\n', {}, /providers\.gitea: unknown key/],
    ['tenants:\n  - name: "bad name"\n    repositories: ["*"]\n', {}, /tenants\.0\.name: must match pattern/],
    ['{}', { TAMER_PORT: 'eighty' }, /TAMER_PORT: must be a whole number/],
    ['{}', { TAMER_DIFF_ENGINE: 'difflib' }, /diffs\.engine: must be one of the allowed values \("native", "nbdime"\)/],
    ['server: [\n', {}, /TAMER_CONFIG: .* is not valid YAML/],
  ]
  for (const [yaml, env, message] of cases) {
    const file = tempFile(t, yaml)
    t.throws(() => loadCheckedConfig({ env: { TAMER_CONFIG: file, ...env } }), message, yaml)
    try {
      loadCheckedConfig({ env: { TAMER_CONFIG: file, ...env } })
    } catch (err) {
      t.type(err, ConfigError)
    }
  }
  t.throws(
    () => loadCheckedConfig({ env: { TAMER_CONFIG: '/nonexistent/tamer.yaml' } }),
    /TAMER_CONFIG: cannot read \/nonexistent\/tamer.yaml: ENOENT/,
  )
})

t.test('git.credentials: from the file or TAMER_GIT_CREDENTIALS, with a default username', async (t) => {
  t.same(loadCheckedConfig({ env: {} }).git.credentials, [], 'no credentials by default: public repositories only')
  const file = tempFile(
    t,
    'git:\n  credentials:\n    - url: https://github.com/acme/\n      password: ghp_fromfile\n    - url: https://gitlab.example.com/ds/\n      username: oauth2\n      password: glpat-fromfile\n',
  )
  t.same(loadCheckedConfig({ env: { TAMER_CONFIG: file } }).git.credentials, [
    { url: 'https://github.com/acme/', username: 'x-access-token', password: 'ghp_fromfile' },
    { url: 'https://gitlab.example.com/ds/', username: 'oauth2', password: 'glpat-fromfile' },
  ])
  const env = {
    TAMER_CONFIG: file,
    TAMER_GIT_CREDENTIALS:
      'https://oauth2:glpat-abc@gitlab.example.com/ds/, https://ghp_tok@github.com/acme, http://x-token-auth:p%40ss%2Cw%3Ard@Bitbucket.internal:7990/scm/',
  }
  t.same(
    loadCheckedConfig({ env }).git.credentials,
    [
      { url: 'https://gitlab.example.com/ds/', username: 'oauth2', password: 'glpat-abc' },
      { url: 'https://github.com/acme', username: 'x-access-token', password: 'ghp_tok' },
      { url: 'http://Bitbucket.internal:7990/scm/', username: 'x-token-auth', password: 'p@ss,w:rd' },
    ],
    "env replaces the file's list; userinfo is percent-decoded",
  )
  t.same(
    loadCheckedConfig({ env: { TAMER_GIT_CREDENTIALS: 'https://u:a@b@github.com/acme/' } }).git.credentials,
    [{ url: 'https://github.com/acme/', username: 'u', password: 'a@b' }],
    'the last @ ends the userinfo',
  )
})

t.test('a malformed git credential is a config error naming the key, never echoing the token', async (t) => {
  const secret = 'ghp_DoNotPrintMe0123'
  const envCases: [string, RegExp][] = [
    [secret, /^invalid config: TAMER_GIT_CREDENTIALS: entry 1 must look like https:\/\/user:token@host\/prefix\/$/],
    [
      `https://ok:tok@github.com/, ssh://git:${secret}@github.com/acme/`,
      /TAMER_GIT_CREDENTIALS: entry 2 must look like/,
    ],
    [`https://user:@github.com/`, /TAMER_GIT_CREDENTIALS: entry 1 has no token/],
    [`https://:${secret}@github.com/`, /TAMER_GIT_CREDENTIALS: entry 1 has an empty user/],
    [
      `https://u:${secret}%zz@github.com/`,
      /TAMER_GIT_CREDENTIALS: entry 1 has a user or token that is not valid percent-encoding/,
    ],
    [
      `https://u:${secret}@github.com/?ref=${secret}`,
      /TAMER_GIT_CREDENTIALS: entry 1 must not contain a query or fragment/,
    ],
    [`https://u:${secret}@`, /TAMER_GIT_CREDENTIALS: entry 1 is not a valid URL/],
  ]
  for (const [value, message] of envCases) {
    const err = t.throws(
      () => loadCheckedConfig({ env: { TAMER_GIT_CREDENTIALS: value } }),
      message,
      value.replace(secret, '<secret>'),
    )
    t.type(err, ConfigError)
    t.notMatch(String((err as Error)?.message), secret)
  }
  const fileCases: [string, RegExp][] = [
    [
      `git:\n  credentials:\n    - url: ssh://git@github.com/acme/\n      password: ${secret}\n`,
      /git\.credentials\.0\.url: must start with https:\/\/ or http:\/\//,
    ],
    [
      `git:\n  credentials:\n    - url: https://me:${secret}@github.com/\n      password: x\n`,
      /git\.credentials\.0\.url: must not contain a user or token; use username and password/,
    ],
    [
      'git:\n  credentials:\n    - url: https://github.com/\n',
      /git\.credentials\.0\.password: must have required property 'password'/,
    ],
    [
      `git:\n  credentials:\n    - url: https://github.com/\n      token: ${secret}\n      password: x\n`,
      /git\.credentials\.0\.token: unknown key/,
    ],
    [
      `git:\n  credentials:\n    - url: https://github.com/\n      username: ""\n      password: ${secret}\n`,
      /git\.credentials\.0\.username: must NOT have fewer than 1 characters/,
    ],
  ]
  for (const [yaml, message] of fileCases) {
    const file = tempFile(t, yaml)
    const err = t.throws(
      () => loadCheckedConfig({ env: { TAMER_CONFIG: file } }),
      message,
      yaml.replace(secret, '<secret>'),
    )
    t.notMatch(String((err as Error)?.message), secret)
  }
})

t.test('tenant resolution: first matching glob, else the default tenant', async (t) => {
  const tenantOf = createTenantResolver({
    defaultTenant: 'shared',
    tenants: [
      { name: 'risk', repositories: ['risk-team/*', 'DS/fraud-*'] },
      { name: 'nested', repositories: ['group/sub/**'] },
    ],
  })
  t.equal(tenantOf('risk-team/score'), 'risk')
  t.equal(tenantOf('DS/fraud-model'), 'risk')
  t.equal(tenantOf('group/sub/deeper/project'), 'nested')
  t.equal(tenantOf('acme/other'), 'shared')
  t.equal(tenantOf(null), 'shared')
})

/** The `tamer` command in process (main(), no Node + tsx start-up per call), with these env additions. */
async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const r = await runTamer(args, { cwd: ROOT, env: { ...process.env, ...env } })
  return { code: r.exitCode, stderr: r.stderr }
}

t.test('tamer serve exits 2 on an invalid config, naming the key', async (t) => {
  const file = tempFile(t, 'server:\n  port: -1\n')
  const res = await runCli(['serve'], { TAMER_CONFIG: file })
  t.equal(res.code, 2)
  t.match(res.stderr, /invalid config: server\.port: must be >= 0/)
})

t.test('tamer serve and tamer jobs sync run every domain check (src/compose/config.ts), exiting 2', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tamer-config-data-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const address = tempFile(t, 'notifications:\n  rules:\n    - to: ["ops at example"]\n')
  const serve = await runCli(['serve'], { TAMER_CONFIG: address, TAMER_DATA_DIR: dataDir, TAMER_PORT: '0' })
  t.equal(serve.code, 2)
  t.match(serve.stderr, /invalid config: notifications\.rules\.0\.to\.0: "ops at example" is not a mail address/)
  const template = tempFile(t, 'rules:\n  - name: r\n    events: [push]\n    template: nope\n    job: j/{repo}\n')
  const sync = await runCli(['jobs', 'sync'], { TAMER_CONFIG: template, TAMER_DATA_DIR: dataDir })
  t.equal(sync.code, 2)
  t.match(sync.stderr, /invalid config: rules\.0\.template: no template nope in jenkinsfiles\//)
})
