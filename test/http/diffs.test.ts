// /diffs/:id and /api/diffs/:id: a stored push delivery whose clone URL is a real temp bare repo.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { PushEvent } from '../../src/events/model.js'
import { MirrorCache } from '../../src/git/mirror.js'
import { createDiffLinks } from '../../src/links/diff-links.js'
import { DIFF_PAGE_CSP } from '../../src/notebooks/render/index.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import type { DeliveryStore } from '../../src/store/store.js'
import { code, notebook, stream } from '../notebooks/fixtures.js'
import { composeForTest, SECRETS, testConfig } from '../support/app.js'
import { gitAvailable, makeRepo } from '../git/repo.js'

const SCOPED = 'other-tenant-token-01'
const LINK_SECRET = 'link-secret-for-tests'
const auth = (token = SECRETS.api) => ({ authorization: `Bearer ${token}` })
const nb = (src: string, out: string) => JSON.stringify(notebook([code('c1', src, [stream(out)], 1)]), null, 1)

async function record(
  store: DeliveryStore,
  push: Partial<PushEvent> & Pick<PushEvent, 'before' | 'after'>,
  tenant = 'default',
  kind: 'events' | 'ping' = 'events',
) {
  const event: PushEvent = {
    kind: 'push',
    provider: 'github',
    hostDeliveryId: null,
    tenant,
    receivedAt: new Date().toISOString(),
    repository: { fullName: 'acme/ds', cloneUrl: { https: null, ssh: null }, webUrl: null, defaultBranch: 'main' },
    ref: 'refs/heads/main',
    refType: 'branch',
    branch: 'main',
    tag: null,
    created: false,
    deleted: false,
    forced: false,
    commits: [],
    totalCommits: 1,
    filesKnown: false,
    pusher: { name: null, email: null, username: null },
    ...push,
  }
  const r = await store.recordDelivery({
    provider: 'github',
    dedupeKey: `k-${Math.random()}`,
    hostDeliveryId: null,
    eventType: 'push',
    tenant,
    repository: 'acme/ds',
    status: 'processed',
    headers: {},
    body: Buffer.from('{}'),
    receivedAt: event.receivedAt,
    normalized: kind === 'events' ? { kind: 'events', events: [event] } : { kind: 'ping', note: 'hello' },
  })
  return r.id
}

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('diff routes', async (t) => {
    const repo = await makeRepo(undefined, { fullName: 'acme/ds' })
    const dir = mkdtempSync(join(tmpdir(), 'tamer-diffs-'))
    t.teardown(() => {
      repo.cleanup()
      rmSync(dir, { recursive: true, force: true })
    })
    repo.write({ 'train.ipynb': nb('acc = fit()\nprint(acc)', 'accuracy: 0.91\n'), 'notes.md': 'one\n' })
    const c1 = await repo.commit('one')
    repo.write({
      'train.ipynb': nb('acc = fit(epochs=5)\nprint(acc)', 'accuracy: 0.93\n<script>window.__pwned=1</script>\n'),
      'notes.md': 'two\n',
    })
    const c2 = await repo.commit('two')
    await repo.push('main')

    const store = openSqliteStore({ file: join(dir, 'tamer.db') })
    const config = testConfig({
      api: { tokens: [SECRETS.api, { token: SCOPED, tenants: ['other'] }] },
      links: { secret: LINK_SECRET, ttlDays: 30 },
      jenkins: { publicUrl: 'https://tamer.example.com/' },
    })
    const { app } = await composeForTest(config, {
      store,
      mirrors: new MirrorCache({
        dir: join(dir, 'mirrors'),
        allowProtocols: ['file'],
        hosts: [{ provider: 'github', url: repo.base }],
      }),
    })
    t.teardown(async () => {
      await app.close()
      await store.close()
    })
    const cloneUrl = { https: repo.url, ssh: null }
    const id = await record(store, {
      before: c1,
      after: c2,
      repository: { fullName: 'acme/ds', cloneUrl, webUrl: null, defaultBranch: 'main' },
    })

    const api = await app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth() })
    t.equal(api.statusCode, 200, api.body.slice(0, 300))
    const body = api.json()
    t.equal(body.pushes.length, 1)
    t.match(body.pushes[0], { repository: 'acme/ds', ref: 'refs/heads/main', base: c1, head: c2 })
    const files = body.pushes[0].files as Array<Record<string, unknown>>
    t.same(
      files.map((f) => [f.path, f.status, f.kind]),
      [
        ['notes.md', 'modified', 'text'],
        ['train.ipynb', 'modified', 'notebook'],
      ],
    )
    const train = files[1]!
    t.notOk('base' in train, 'the base notebook stays out of the JSON')
    t.match(train.summary, { cellsModified: 1, outputsChanged: 1 })
    t.match(train.diff, [{ op: 'patch', key: 'cells', diff: [{ op: 'patch', key: 0 }] }], 'nbdime-format diff')

    const page = await app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth() })
    t.equal(page.statusCode, 200)
    t.equal(page.headers['content-security-policy'], DIFF_PAGE_CSP)
    t.equal(page.headers['x-content-type-options'], 'nosniff')
    t.match(page.headers['content-type'], /^text\/html; charset=utf-8/)
    t.match(page.body, /<title>acme\/ds refs\/heads\/main /)
    t.match(page.body, /train\.ipynb/)
    t.notMatch(page.body, /<script/i)
    t.match(page.body, /&lt;script&gt;window\.__pwned=1/)

    for (const url of [`/diffs/${id}`, `/api/diffs/${id}`]) {
      t.equal((await app.inject({ method: 'GET', url })).statusCode, 401, `${url} needs a token`)
      t.equal((await app.inject({ method: 'GET', url, headers: auth('not-the-token-1') })).statusCode, 401)
      const other = await app.inject({ method: 'GET', url, headers: auth(SCOPED) })
      t.equal(other.statusCode, 404, `${url}: another tenant's delivery looks missing`)
      t.equal(other.json().code, 'TAMER_NOT_FOUND')
    }
    t.equal((await app.inject({ method: 'GET', url: '/api/diffs/nope', headers: auth() })).statusCode, 404)

    // A signed link (DIFF_URL, mails) opens that one page without a token, until it expires.
    const links = createDiffLinks({ secret: LINK_SECRET, publicUrl: 'https://tamer.example.com', ttlDays: 30 })
    const link = new URL(links.urlFor(id)!)
    t.equal(link.origin + link.pathname, `https://tamer.example.com/diffs/${id}`)
    const opened = await app.inject({ method: 'GET', url: link.pathname + link.search })
    t.equal(opened.statusCode, 200, 'signed link opens the page')
    t.equal(opened.headers['content-security-policy'], DIFF_PAGE_CSP)
    const sig = link.searchParams.get('sig')!
    const exp = link.searchParams.get('exp')!
    const tampered = `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`
    t.equal(
      (await app.inject({ method: 'GET', url: `${link.pathname}?exp=${exp}&sig=${tampered}` })).statusCode,
      401,
      'a changed signature does not',
    )
    t.equal(
      (await app.inject({ method: 'GET', url: `${link.pathname}?exp=${Number(exp) + 1}&sig=${sig}` })).statusCode,
      401,
      'nor a later expiry',
    )
    const other = await record(store, { before: c1, after: c2 })
    t.equal(
      (await app.inject({ method: 'GET', url: `/diffs/${other}${link.search}` })).statusCode,
      401,
      'nor another delivery',
    )
    const expired = createDiffLinks({
      secret: LINK_SECRET,
      publicUrl: 'https://tamer.example.com',
      ttlDays: 1,
      now: () => Date.now() - 2 * 86_400_000,
    })
    const old = new URL(expired.urlFor(id)!)
    t.equal(
      (await app.inject({ method: 'GET', url: old.pathname + old.search })).statusCode,
      401,
      'nor an expired link',
    )
    t.equal(
      (await app.inject({ method: 'GET', url: `/api/diffs/${id}${link.search}` })).statusCode,
      401,
      'the JSON API still needs a token',
    )
    const ping = await record(store, { before: c1, after: c2 }, 'default', 'ping')
    t.match((await app.inject({ method: 'GET', url: `/api/diffs/${ping}`, headers: auth() })).json(), {
      statusCode: 404,
      code: 'TAMER_NOT_A_PUSH',
    })

    // A remote that cannot be reached is a clear 502, never a crash.
    const lost = await record(store, {
      before: c1,
      after: c2,
      repository: {
        fullName: 'acme/gone',
        cloneUrl: { https: `${repo.base}/acme/gone.git`, ssh: null },
        webUrl: null,
        defaultBranch: 'main',
      },
    })
    const res = await app.inject({ method: 'GET', url: `/api/diffs/${lost}`, headers: auth() })
    t.equal(res.statusCode, 502)
    t.match(res.json(), { code: 'TAMER_GIT_FAILED', message: /clone file:\/\// })
  })
}
