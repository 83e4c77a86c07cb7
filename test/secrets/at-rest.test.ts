// Secrets at rest (issue #9): from `*_FILE`s (Kubernetes Secret mounts), and sealed in the store
// with AES-256-GCM under TAMER_MASTER_KEY (`tamer secrets set|list|delete|rotate`), each proved
// through the real server: a stored or file-sourced secret authenticates a real delivery.
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { loadCheckedConfig } from '../../src/compose/config.js'
import { keyId, masterKeysFromEnv, parseMasterKey } from '../../src/security/master-key.js'
import { seal, unseal } from '../../src/security/seal.js'
import { provablyDisjoint } from '../../src/secrets/stored.js'
import { credentialFor } from '../../src/git/credentials.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { composeForTest } from '../support/app.js'
import { KEY_A, KEY_B, pushFor, secrets, serveLike, tempDir, writeConfig } from '../support/operator.js'

t.test('*_FILE: every secret variable can name a file (a mounted Kubernetes Secret)', async (t) => {
  const dir = tempDir(t)
  const file = (name: string, text: string) => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }
  const env = {
    TAMER_GITHUB_SECRET_FILE: file('github', 'from-file-new\nfrom-file-old\n'),
    TAMER_API_TOKEN_FILE: file('api', 'api-token-from-file\n'),
    TAMER_JENKINS_TOKEN_FILE: file('jenkins', 'jenkins-from-file'),
    TAMER_LINK_SECRET_FILE: file('link', 'link-from-file\n'),
    TAMER_SMTP_PASSWORD_FILE: file('smtp', 'smtp-from-file\n'),
    TAMER_GIT_CREDENTIALS_FILE: file(
      'git',
      'https://bot:tok%2Cen@github.com/acme/\nhttps://glpat-x@gitlab.com/risk/\n',
    ),
    TAMER_DATA_DIR: join(dir, 'data'),
  }
  const config = loadCheckedConfig({ env, overrides: { diffs: { precompute: false } } })
  t.same(config.providers.github.secrets, ['from-file-new', 'from-file-old'], 'one per line, trailing newline dropped')
  t.same(config.api.tokens, ['api-token-from-file'])
  t.equal(config.jenkins.token, 'jenkins-from-file')
  t.equal(config.links.secret, 'link-from-file')
  t.equal(config.notifications.smtp.password, 'smtp-from-file')
  t.match(config.git.credentials, [
    { url: 'https://github.com/acme/', username: 'bot', password: 'tok,en' },
    { url: 'https://gitlab.com/risk/', password: 'glpat-x' },
  ])

  // the file's secret authenticates a real delivery
  const store = openSqliteStore({ file: join(dir, 'data', 'tamer.db') })
  const { app } = await composeForTest(config, { store })
  t.teardown(async () => {
    await app.close()
    await store.close()
  })
  t.equal((await app.inject(pushFor('acme-ds/churn-model', 'from-file-old'))).statusCode, 202)
  t.equal((await app.inject(pushFor('acme-ds/churn-model', 'not-it'))).statusCode, 401)

  t.throws(
    () => loadCheckedConfig({ env: { TAMER_LINK_SECRET: 'x', TAMER_LINK_SECRET_FILE: env.TAMER_LINK_SECRET_FILE } }),
    { message: /TAMER_LINK_SECRET_FILE: set either TAMER_LINK_SECRET or TAMER_LINK_SECRET_FILE, not both/ },
  )
  const missing = join(dir, 'nope')
  t.throws(() => loadCheckedConfig({ env: { TAMER_JENKINS_TOKEN_FILE: missing } }), {
    message: `invalid config: TAMER_JENKINS_TOKEN_FILE: cannot read ${missing}: ENOENT`,
  })
  t.throws(() => loadCheckedConfig({ env: { TAMER_API_TOKEN_FILE: file('empty', '\n') } }), {
    message: /TAMER_API_TOKEN_FILE: .* is empty/,
  })
  t.same(
    masterKeysFromEnv({ TAMER_MASTER_KEY_FILE: file('mk', `${KEY_A}\n`) }).current?.id,
    keyId(Buffer.from(KEY_A, 'base64')),
    'the master key from a file too',
  )
})

t.test('master keys: 32 bytes as base64 or hex, nothing else', async (t) => {
  t.equal(parseMasterKey('K', KEY_A).key.length, 32)
  t.equal(parseMasterKey('K', KEY_B).key.length, 32)
  t.equal(
    parseMasterKey('K', Buffer.from(KEY_B, 'hex').toString('base64url')).id,
    keyId(Buffer.from(KEY_B, 'hex')),
    'base64url too',
  )
  for (const bad of [
    '',
    'short',
    randomBytes(16).toString('base64'),
    randomBytes(31).toString('hex'),
    'correct horse battery staple correct horse b',
  ])
    t.throws(() => parseMasterKey('TAMER_MASTER_KEY', bad), {
      code: 'TAMER_MASTER_KEY_INVALID',
      message: /TAMER_MASTER_KEY must be 32 bytes/,
    })
})

t.test(
  'sealing: AES-256-GCM with a fresh IV per value; a changed byte, another row or another key does not open',
  async (t) => {
    const key = parseMasterKey('K', KEY_A)
    const a = seal(key, 'the-value', 'row-1')
    const b = seal(key, 'the-value', 'row-1')
    t.equal(a.iv.length, 12, '96-bit IV')
    t.equal(a.tag.length, 16)
    t.not(a.iv.toString('hex'), b.iv.toString('hex'), 'random IV per value')
    t.not(a.ciphertext.toString('hex'), b.ciphertext.toString('hex'))
    t.notOk(a.ciphertext.includes(Buffer.from('the-value')))
    t.equal(unseal(key, a, 'row-1', 'x'), 'the-value')
    t.throws(() => unseal(key, a, 'row-2', 'x'), { code: 'TAMER_SECRET_UNDECRYPTABLE' }, 'bound to its row')
    const flipped = { ...a, ciphertext: Buffer.from(a.ciphertext) }
    flipped.ciphertext[0]! ^= 1
    t.throws(() => unseal(key, flipped, 'row-1', 'x'), { code: 'TAMER_SECRET_UNDECRYPTABLE' })
    const other = parseMasterKey('K', KEY_B)
    t.throws(() => unseal(other, a, 'row-1', 'x'), { code: 'TAMER_SECRET_UNDECRYPTABLE', message: /sealed under key/ })
    t.throws(() => unseal({ ...other, id: key.id }, a, 'row-1', 'x'), {
      code: 'TAMER_SECRET_UNDECRYPTABLE',
      message: /authentication tag/,
    })
  },
)

t.test('tamer secrets set: a per-tenant webhook secret, sealed, authenticates only that tenant', async (t) => {
  const dir = tempDir(t)
  const file = writeConfig(dir)
  const env = { TAMER_MASTER_KEY: KEY_A }
  const set = await secrets(
    ['set', 'risk-github-2026', '--kind', 'github-secret', '--tenant', 'risk', '--config', file],
    env,
    'risk-stored-secret-0001\n',
  )
  t.equal(set.code, 0, set.err)
  t.match(set.out, /stored risk-github-2026 \(github-secret, tenant risk\) under key [0-9a-f]{16}/)
  t.equal(
    (await secrets(['set', 'link', '--kind', 'link-secret', '--config', file], env, 'stored-link-secret-01')).code,
    0,
  )

  const list = await secrets(['list', '--config', file], {})
  t.equal(list.code, 0, 'list needs no key')
  t.match(list.out, /risk-github-2026\tgithub-secret\ttenant=risk\tkey=[0-9a-f]{16}/)
  t.notMatch(list.out, 'risk-stored-secret-0001', 'list never prints a value')
  const db =
    readFileSync(join(dir, 'data', 'tamer.db')).toString('latin1') +
    readFileSync(join(dir, 'data', 'tamer.db-wal'), { flag: 'a+' }).toString('latin1')
  t.notMatch(db, 'risk-stored-secret-0001', 'the value is not in the SQLite file')

  const { app, store, config } = await serveLike(t, env, file)
  t.equal(config.links.secret, 'stored-link-secret-01', 'a scalar secret replaces the config value')
  t.equal(
    (await app.inject(pushFor('risk-team/model', 'risk-stored-secret-0001'))).statusCode,
    202,
    "the tenant's repository accepts it",
  )
  t.equal(
    (await app.inject(pushFor('risk-team/model', 'shared-file-secret'))).statusCode,
    401,
    'and then no longer the shared one',
  )
  t.equal(
    (await app.inject(pushFor('acme-ds/model', 'risk-stored-secret-0001'))).statusCode,
    401,
    "another tenant's repository does not",
  )
  t.equal((await app.inject(pushFor('acme-ds/model', 'shared-file-secret'))).statusCode, 202)

  const audit = await store.listAudit({ limit: 10 })
  t.match(audit.reverse(), [
    {
      actor: 'cli:ops-alice',
      action: 'secret.set',
      target: 'risk-github-2026',
      tenant: 'risk',
      detail: { kind: 'github-secret' },
    },
    { actor: 'cli:ops-alice', action: 'secret.set', target: 'link', tenant: null },
  ])
  t.notMatch(JSON.stringify(audit), 'risk-stored-secret-0001')
})

t.test('tamer secrets: refusals name the problem and store nothing', async (t) => {
  const dir = tempDir(t)
  const file = writeConfig(dir, {
    tenants: [
      { name: 'risk', repositories: ['risk-team/*'] },
      { name: 'all', repositories: ['*/*'] },
    ],
  })
  const env = { TAMER_MASTER_KEY: KEY_A }
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['set', 'x', '--kind', 'github-secret'], {}, /needs TAMER_MASTER_KEY/],
    [['set', 'x', '--kind', 'aws-key'], env, /kind "aws-key" is not one of github-secret/],
    [['set', 'x', '--kind', 'github-secret', '--tenant', 'nobody'], env, /tenant nobody is not configured/],
    [['set', 'x', '--kind', 'jenkins-token', '--tenant', 'risk'], env, /jenkins-token is not per tenant/],
    [['set', 'x', '--kind', 'git-credential'], env, /git-credential needs --url/],
    [
      ['set', 'x', '--kind', 'git-credential', '--url', 'https://u:p@github.com/'],
      env,
      /must not contain a user or token/,
    ],
    [['set', 'x', '--kind', 'github-secret', '--tenant', 'default'], env, /leave out --tenant/],
    // `all` comes after `risk` and its glob also matches risk's repositories (first match wins there)
    [
      ['set', 'x', '--kind', 'github-secret', '--tenant', 'all'],
      env,
      /tenant all's glob \*\/\* may also match repositories of tenant risk/,
    ],
    [['set', 'bad name', '--kind', 'github-secret'], env, /name "bad name" must be/],
  ]
  for (const [args, e, message] of cases) {
    const r = await secrets([...args, '--config', file], e, 'some-value-1234')
    t.equal(r.code, 2, args.join(' '))
    t.match(r.err, message)
    t.notMatch(r.err, 'some-value-1234', 'never echoes the value')
  }
  t.equal(
    (await secrets(['set', 'x', '--kind', 'github-secret', '--config', file], env, '\n')).code,
    2,
    'an empty value',
  )
  t.match((await secrets(['list', '--config', file], {})).out, /no stored secrets/)
  t.equal((await secrets(['delete', 'x', '--config', file], {})).code, 1, 'delete of nothing')
  t.equal((await secrets(['nonsense', '--config', file], {})).code, 2)
  t.ok(provablyDisjoint('risk-team/*', 'acme-ds/*'))
  t.ok(provablyDisjoint('a/b/*', 'a/*'))
  t.notOk(provablyDisjoint('risk-*/*', 'risk-team/*'))
  t.notOk(provablyDisjoint('Risk-Team/*', 'risk-team/x'), 'tenants match case-insensitively')
  t.notOk(provablyDisjoint('{a,b}/*', 'c/*'), 'braces are not judged')
})

t.test("a stored git credential per tenant: only that tenant's repositories get it", async (t) => {
  const dir = tempDir(t)
  const file = writeConfig(dir)
  const env = { TAMER_MASTER_KEY: KEY_A }
  t.equal(
    (
      await secrets(
        [
          'set',
          'risk-git',
          '--kind',
          'git-credential',
          '--tenant',
          'risk',
          '--url',
          'https://github.com/',
          '--config',
          file,
        ],
        env,
        'ghs_risk_only_0001',
      )
    ).code,
    0,
  )
  t.equal(
    (
      await secrets(
        [
          'set',
          'shared-git',
          '--kind',
          'git-credential',
          '--url',
          'https://github.com/acme-ds/',
          '--username',
          'bot',
          '--config',
          file,
        ],
        env,
        'ghs_shared_0001',
      )
    ).code,
    0,
  )
  const { config } = await serveLike(t, env, file)
  t.match(config.git.credentials, [
    { url: 'https://github.com/', username: 'x-access-token', password: 'ghs_risk_only_0001', tenants: ['risk'] },
    { url: 'https://github.com/acme-ds/', username: 'bot', password: 'ghs_shared_0001', tenants: ['*'] },
  ])
  t.equal(
    credentialFor('https://github.com/risk-team/model.git', config.git.credentials, 'risk')?.password,
    'ghs_risk_only_0001',
  )
  t.equal(
    credentialFor('https://github.com/risk-team/model.git', config.git.credentials, 'ds'),
    undefined,
    "another tenant never gets risk's credential",
  )
  t.equal(
    credentialFor('https://github.com/acme-ds/model.git', config.git.credentials, 'ds')?.password,
    'ghs_shared_0001',
  )
})
