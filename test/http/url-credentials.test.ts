// Security issue #9, item 9: a token in a webhook's clone URL (`https://x-access-token:ghs_…@…`)
// was dropped for the mirrors but kept in Jenkins' REPO_URL, in stored events and in
// /api/deliveries/:id. Now no URL Tamer stores, shows or forwards holds credentials: a real push
// (JSON and form-encoded) through the real server and pipeline, then every byte under dataDir,
// the API, the planned Jenkins parameters, the diff page and what the git server received.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import fc from 'fast-check'
import t from 'tap'
import {
  bytesMayHoldUrlCredentials,
  cleanJson,
  jsonMayHoldUrlCredentials,
  mayHoldUrlCredentials,
  redactBodyCredentials,
  redactUrlCredentials,
  withoutCredentials,
  withoutUrlCredentials,
} from '../../src/security/url-credentials.js'
import { createLogger } from '../../src/logging.js'
import { noChangedFiles } from '../../src/pipeline/changed-files.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { serveGit } from '../../src/demo/git-http-server.js'
import { gitAvailable, makeRepo, tempDir } from '../git/repo.js'
import { composeForTest, SECRETS, testConfig } from '../support/app.js'
import { githubPush } from '../support/payloads.js'
import { hmacHex, signedGitHub } from '../support/sign.js'

const TOKEN = 'ghs_CloneUrlInstallationToken0123456789'
const PASSWORD = 'hunter2-ssh-password'
const auth = { authorization: `Bearer ${SECRETS.api}` }

t.test('credentials leave URLs; users of other schemes stay; nothing else changes', async (t) => {
  t.equal(withoutCredentials(`https://x-access-token:${TOKEN}@github.com/acme/x.git`), 'https://github.com/acme/x.git')
  t.equal(
    withoutCredentials(`https://${TOKEN}@github.com/acme/x.git`),
    'https://github.com/acme/x.git',
    'a bare token is a user name to GitHub',
  )
  t.equal(withoutCredentials(`ssh://git:${PASSWORD}@host/x.git`), 'ssh://git@host/x.git')
  t.equal(withoutCredentials('ssh://git@host:7999/x.git'), 'ssh://git@host:7999/x.git')
  t.equal(withoutCredentials('git@github.com:acme/x.git'), 'git@github.com:acme/x.git')
  t.equal(withoutCredentials('https://github.com/acme/x@y.git'), 'https://github.com/acme/x@y.git')
  t.equal(
    withoutCredentials(`file://deploy:${PASSWORD}@/nonexistent/x.git`),
    'file://deploy@/nonexistent/x.git',
    'what the URL parser refuses still loses its password',
  )
  const text = `clone https://u:${TOKEN}@github.com/a/b.git or https:\\/\\/${TOKEN}@gitlab.com\\/a.git, mail ada@example.com, ssh://git:${PASSWORD}@h/x`
  t.equal(
    redactUrlCredentials(text),
    'clone https://github.com/a/b.git or https:\\/\\/gitlab.com\\/a.git, mail ada@example.com, ssh://git@h/x',
  )
  const form = Buffer.from(
    `payload=${encodeURIComponent(JSON.stringify({ clone_url: `https://x-access-token:${TOKEN}@github.com/a/b.git`, ssh: `ssh://git:${PASSWORD}@h/x` }))}`,
  )
  const clean = redactBodyCredentials(form).toString()
  t.notMatch(clean, TOKEN)
  t.notMatch(clean, PASSWORD)
  t.match(decodeURIComponent(clean), '"clone_url":"https://github.com/a/b.git"')
  t.match(decodeURIComponent(clean), '"ssh":"ssh://git@h/x"')
  const plain = Buffer.from('{"a":"https://github.com/x"}')
  t.equal(redactBodyCredentials(plain), plain, 'a body without credentials is the same buffer')
})

t.test('the pre-check before the scan skips only texts the scan would leave as they are (issue #12)', async (t) => {
  // The scan as it was: every text through the regex, whatever the pre-check says.
  const IN_TEXT = /\b([a-z][a-z0-9+.-]{0,30}):(\/\/|\\\/\\\/)([^\s"'<>/\\@]{1,2048})@/gi
  const piece = fc.constantFrom(
    'https',
    'ssh',
    'x',
    ':',
    '//',
    '\\/\\/',
    ':\\/',
    '/',
    '\\',
    '@',
    'u',
    'user:pw',
    ' ',
    '"',
    'a.b',
    '-',
    '%40',
  )
  fc.assert(
    fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 24 }), (parts) => {
      const text = parts.join('')
      return mayHoldUrlCredentials(text) || text.replace(IN_TEXT, '<gone>') === text
    }),
    { numRuns: 3000 },
  )
  t.pass('3,000 generated texts: the pre-check skipped none the scan would change')
  fc.assert(
    fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 24 }), (parts) => {
      const bytes = Buffer.from(parts.join(''))
      const latin1 = bytes.toString('latin1')
      const before = Buffer.from(redactUrlCredentials(latin1), 'latin1')
      return (
        bytesMayHoldUrlCredentials(bytes) === mayHoldUrlCredentials(latin1) &&
        redactBodyCredentials(bytes).equals(before)
      )
    }),
    { numRuns: 3000 },
  )
  t.pass('3,000 generated bodies: the scan over bytes answers as the one over their latin1 text')
  t.ok(mayHoldUrlCredentials('"clone_url":"https://x-access-token:t@github.com/a"'))
  t.ok(mayHoldUrlCredentials('"u":"https:\\/\\/t@gitlab.com"'))
  t.notOk(mayHoldUrlCredentials('{"email":"ada@example.com","url":"https://github.com/a"}'))
  t.ok(mayHoldUrlCredentials(`ssh://${'u'.repeat(2048)}@h`), 'the longest userinfo the scan takes')
  const events = { a: [{ url: 'https://github.com/x', mail: 'ada@example.com' }], n: 1 }
  t.equal(withoutUrlCredentials(events), events, 'events without credentials are not copied')
  const dirty = { a: [{ url: `https://u:${TOKEN}@github.com/x` }, { b: 1 }], n: 1 }
  const cleaned = withoutUrlCredentials(dirty)
  t.same(cleaned, { a: [{ url: 'https://github.com/x' }, { b: 1 }], n: 1 })
  t.equal(cleaned.a[1], dirty.a[1], 'unchanged parts are shared')
  t.equal(dirty.a[0]!.url, `https://u:${TOKEN}@github.com/x`, 'the input is left as it was')
})

t.test(
  'events whose JSON the pre-check passes are clean as they are, and stored as that JSON (issue #12)',
  async (t) => {
    const piece = fc.constantFrom(
      'https',
      'ssh://',
      'https:\\/\\/',
      ':',
      '//',
      '\\/\\/',
      '/',
      '\\',
      '@',
      'u:pw@',
      '"',
      '%40',
      'a',
      '\n',
    )
    const text = fc.array(fc.oneof(piece, fc.string({ maxLength: 3 })), { maxLength: 12 }).map((p) => p.join(''))
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(text, tie('node'), { maxKeys: 4 }),
      ),
    })).node
    // The walk as it was: every string with an `@` through the scan.
    const walk = (v: unknown): unknown =>
      typeof v === 'string'
        ? v.includes('@')
          ? redactUrlCredentials(v)
          : v
        : Array.isArray(v)
          ? v.map(walk)
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
            : v
    fc.assert(
      fc.property(fc.array(value, { maxLength: 4 }), (events) => {
        const json = JSON.stringify(events)
        const expected = JSON.stringify(walk(events))
        // Passed by the pre-check only when the walk changes nothing; stored as the walk would have left it.
        return (jsonMayHoldUrlCredentials(json) || expected === json) && cleanJson(events) === expected
      }),
      { numRuns: 3000 },
    )
    t.pass('3,000 generated events')
    t.ok(jsonMayHoldUrlCredentials(JSON.stringify({ u: `https://u:${TOKEN}@github.com/x` })))
    t.ok(jsonMayHoldUrlCredentials(JSON.stringify({ u: `https:\\/\\/${TOKEN}@gitlab.com` })), 'escaped slashes')
    t.ok(jsonMayHoldUrlCredentials(JSON.stringify({ u: `git+https%3A%2F%2F${TOKEN}%40host` })), 'form-encoded')
    t.notOk(jsonMayHoldUrlCredentials('{"url":"https://github.com/a","email":"ada@example.com"}'))
    const dirty = { a: [{ url: `https://u:${TOKEN}@github.com/x` }] }
    t.notMatch(cleanJson(dirty), TOKEN, 'what is stored holds no credential')
  },
)

/** Files under `dir` that contain `secret` anywhere (the SQLite file and its WAL included). */
function filesHolding(dir: string, secret: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => readFileSync(p).includes(secret))
}

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test(
    'a push with a token in its clone URL: stored rows, API, Jenkins parameters, diff page and git server never see it',
    async (t) => {
      const root = tempDir(t, 'tamer-userinfo-git-')
      const repo = await makeRepo(t, { root, fullName: 'acme-ds/churn-model' })
      repo.write({ 'notes.md': 'one\n' })
      const c1 = await repo.commit('one')
      repo.write({ 'notes.md': 'two\n' })
      const c2 = await repo.commit('two')
      await repo.push('main')
      const server = await serveGit({ projectRoot: root })
      t.teardown(server.close)
      const host = new URL(server.url).host
      const plainUrl = `${server.url}/acme-ds/churn-model.git`
      const tokenUrl = `http://x-access-token:${TOKEN}@${host}/acme-ds/churn-model.git`

      const dir = tempDir(t, 'tamer-userinfo-')
      const config = testConfig({
        dataDir: dir,
        git: { hosts: [{ provider: 'github', url: server.url }], protocols: ['http'], allowPrivateHosts: [host] },
        rules: [{ name: 'ci', repository: 'acme-ds/*', events: ['push'], job: 'ci/{repo}' }],
      })
      const logs: string[] = []
      const logger = createLogger(
        'info',
        new Writable({ write: (c, _e, cb) => (logs.push(...c.toString().split('\n').filter(Boolean)), cb()) }),
      )
      const store = openSqliteStore({ file: join(dir, 'tamer.db') })
      const { app } = await composeForTest(config, { store, logger, changedFiles: noChangedFiles, hold: ['notifier'] })
      t.teardown(async () => {
        await app.close()
        await store.close()
      })

      const payload = githubPush({
        before: c1,
        after: c2,
        head_commit: null,
        commits: [
          {
            id: c2,
            message: 'two',
            url: `http://x-access-token:${TOKEN}@${host}/acme-ds/churn-model/commit/${c2}`,
            author: { name: 'Ada' },
            added: [],
            removed: [],
            modified: ['notes.md'],
          },
        ],
        repository: {
          ...githubPush().repository,
          clone_url: tokenUrl,
          html_url: `http://${TOKEN}@${host}/acme-ds/churn-model`,
          ssh_url: `ssh://git:${PASSWORD}@${host}/acme-ds/churn-model.git`,
        },
      })
      const json = signedGitHub('push', payload)
      const formBody = Buffer.from(
        `payload=${encodeURIComponent(JSON.stringify({ ...payload, after: c2, ref: 'refs/heads/form' }))}`,
      )
      const form = {
        body: formBody,
        headers: {
          ...json.headers,
          'content-type': 'application/x-www-form-urlencoded',
          'x-github-delivery': 'form-1',
          'x-hub-signature-256': `sha256=${hmacHex('sha256', SECRETS.github, formBody)}`,
        },
      }

      for (const d of [json, form]) {
        const res = await app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
        t.equal(res.statusCode, 202)
        const id = res.json().id as string

        const delivery = await app.inject({ method: 'GET', url: `/api/deliveries/${id}`, headers: auth })
        t.equal(delivery.statusCode, 200)
        t.notMatch(delivery.body, TOKEN, '/api/deliveries/:id')
        t.notMatch(delivery.body, PASSWORD)
        t.match(delivery.json().normalized.events[0].repository, {
          cloneUrl: { https: plainUrl, ssh: `ssh://git@${host}/acme-ds/churn-model.git` },
          webUrl: `${server.url}/acme-ds/churn-model`,
        })

        let builds = await store.listBuilds({ deliveryId: id, limit: 5 })
        for (
          const end = Date.now() + 30_000;
          builds.length === 0 && Date.now() < end;
          builds = await store.listBuilds({ deliveryId: id, limit: 5 })
        )
          await new Promise((r) => setTimeout(r, 25))
        t.equal(builds.length, 1, 'planned')
        t.equal(builds[0]!.parameters.REPO_URL, plainUrl, 'REPO_URL without the token')
        const build = await app.inject({ method: 'GET', url: `/api/builds/${builds[0]!.id}`, headers: auth })
        t.notMatch(build.body, TOKEN, '/api/builds/:id')

        server.requests.length = 0
        const page = await app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth })
        t.equal(page.statusCode, 200, page.body.slice(0, 300))
        t.match(page.body, /notes\.md/)
        t.notMatch(page.body, TOKEN, 'the diff page')
        t.ok(server.requests.length > 0 || d === form, 'the diff fetched from the git server')
        t.same(
          server.requests.filter((r) => r.authorization !== undefined),
          [],
          'the URL’s token was not sent to git',
        )
      }

      t.same(filesHolding(dir, TOKEN), [], 'no file under dataDir (tamer.db, its WAL, the mirrors) holds the token')
      t.same(filesHolding(dir, PASSWORD), [])
      t.notOk(
        logs.some((l) => l.includes(TOKEN) || l.includes(PASSWORD)),
        'nor any log line',
      )
    },
  )
}
