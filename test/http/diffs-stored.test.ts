// /diffs and /api/diffs answered from the store: after a restart with the mirrors deleted and
// the remote gone; oversized diffs not stored; a failure not kept; precompute after a webhook
// fills the store with no page view; another tenant's stored delivery is still a 404.
import { renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import type { Config } from '../../src/config/schema.js'
import { pushDiffServiceFromConfig } from '../../src/diffs/service.js'
import { MirrorCache } from '../../src/git/mirror.js'
import type { GitHost } from '../../src/git/remote.js'
import { createLogger } from '../../src/logging.js'
import { nativeEngine } from '../../src/engines/engine.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { gitAvailable, tempDir } from '../git/repo.js'
import { composeForTest, SECRETS, testConfig } from '../support/app.js'
import { githubPush } from '../support/payloads.js'
import { fileHosts, notebookPush, pushEvent, recordPush } from '../support/push-diffs.js'
import { signedGitHub } from '../support/sign.js'
import { until } from '../support/until.js'

const SCOPED = 'other-tenant-token-01'
const auth = (token = SECRETS.api) => ({ authorization: `Bearer ${token}` })

interface Served {
  app: FastifyInstance
  store: ReturnType<typeof openSqliteStore>
  logs: string[]
  /** The variant the app stores under (same config, same engine). */
  variant: string
  restart(): Promise<void>
}

/** The real app on `dir` (its tamer.db and mirrors), closed in teardown. */
async function serve(
  t: { teardown(fn: () => unknown): void },
  dir: string,
  diffs: Record<string, unknown> = {},
  hosts: GitHost[] = [],
): Promise<Served> {
  const config: Config = testConfig({
    dataDir: dir,
    api: { tokens: [SECRETS.api, { token: SCOPED, tenants: ['other'] }] },
    diffs,
  })
  const logs: string[] = []
  const logger = createLogger(
    'info',
    new Writable({ write: (c, _e, cb) => (logs.push(...c.toString().split('\n').filter(Boolean)), cb()) }),
  )
  const mirrors = () => new MirrorCache({ dir: join(dir, 'mirrors'), allowProtocols: ['file'], hosts })
  const open = async () => {
    const store = openSqliteStore({ file: join(dir, 'tamer.db') })
    const { app } = await composeForTest(config, { store, logger, mirrors: mirrors() })
    return { app, store }
  }
  const s: Served = {
    ...(await open()),
    logs,
    variant: pushDiffServiceFromConfig(config, { mirrors: mirrors(), engine: nativeEngine, store: null, logger })
      .variant,
    async restart() {
      await s.app.close()
      await s.store.close()
      Object.assign(s, await open())
    },
  }
  t.teardown(async () => {
    await s.app.close()
    await s.store.close()
  })
  return s
}

if (!(await gitAvailable())) {
  if (process.env.CI) t.fail('git is required in CI')
  else t.skip('git not installed', () => {})
} else {
  t.test('after a restart the page comes from the store: no mirror, no remote', async (t) => {
    const dir = tempDir(t, 'tamer-stored-')
    const { repo, before, after } = await notebookPush(t)
    const s = await serve(t, dir, {}, fileHosts(repo))
    const id = await recordPush(s.store, pushEvent({ cloneUrl: repo.url, before, after }))
    const other = await recordPush(s.store, pushEvent({ cloneUrl: repo.url, before, after, tenant: 'other' }))
    const page = await s.app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth() })
    const api = await s.app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth() })
    t.equal(page.statusCode, 200)
    t.equal(api.statusCode, 200)
    t.match(page.body, /train\.ipynb/)
    t.equal(
      (await s.app.inject({ method: 'GET', url: `/diffs/${other}`, headers: auth(SCOPED) })).statusCode,
      200,
      'the other tenant sees its own',
    )
    t.ok(await s.store.getPushDiff(id, s.variant), 'stored on first view')
    t.ok(await s.store.getPushDiff(other, s.variant))

    await s.restart()
    rmSync(join(dir, 'mirrors'), { recursive: true, force: true })
    repo.cleanup()
    const again = await s.app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth() })
    t.equal(again.statusCode, 200)
    t.equal(again.body, page.body, 'the same page')
    t.same(
      (await s.app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth() })).json(),
      api.json(),
      'the same JSON',
    )

    // Tenant scopes are checked before the store is asked.
    for (const url of [`/diffs/${id}`, `/api/diffs/${id}`]) {
      const res = await s.app.inject({ method: 'GET', url, headers: auth(SCOPED) })
      t.equal(res.statusCode, 404, `${url}: another tenant's stored diff looks missing`)
      t.equal(res.json().code, 'TAMER_NOT_FOUND')
    }
    t.equal((await s.app.inject({ method: 'GET', url: `/api/diffs/${other}`, headers: auth(SCOPED) })).statusCode, 200)
  })

  t.test('a diff over diffs.storeMaxBytes is not stored: after a restart without the remote it is a 502', async (t) => {
    const dir = tempDir(t, 'tamer-stored-')
    const { repo, before, after } = await notebookPush(t)
    const s = await serve(t, dir, { storeMaxBytes: 100 }, fileHosts(repo))
    const id = await recordPush(s.store, pushEvent({ cloneUrl: repo.url, before, after }))
    t.equal((await s.app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth() })).statusCode, 200)
    t.equal(await s.store.getPushDiff(id, s.variant), null, 'not stored')
    repo.cleanup()
    t.equal(
      (await s.app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth() })).statusCode,
      200,
      'kept in memory meanwhile',
    )
    await s.restart()
    const res = await s.app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth() })
    t.equal(res.statusCode, 502)
    t.equal(res.json().code, 'TAMER_GIT_FAILED')
  })

  t.test('a failure is not kept: 502, the remote appears, 200', async (t) => {
    const dir = tempDir(t, 'tamer-stored-')
    const { repo, before, after } = await notebookPush(t)
    const later = join(repo.root, 'acme', 'later.git')
    const s = await serve(t, dir, {}, fileHosts(repo))
    const id = await recordPush(
      s.store,
      pushEvent({ cloneUrl: `file://${later}`, before, after, fullName: 'acme/later' }),
    )
    t.equal((await s.app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth() })).statusCode, 502)
    renameSync(join(repo.root, 'acme', 'ds.git'), later)
    const res = await s.app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth() })
    t.equal(res.statusCode, 200)
    t.match(res.body, /train\.ipynb/)
    t.ok(await s.store.getPushDiff(id, s.variant))
  })

  t.test('precompute: a push webhook fills the store without any page view', async (t) => {
    const dir = tempDir(t, 'tamer-stored-')
    const { repo, before, after } = await notebookPush(t)
    const s = await serve(t, dir, { precompute: true }, fileHosts(repo))
    const payload = githubPush({
      before,
      after,
      commits: [],
      head_commit: null,
      repository: { ...githubPush().repository, full_name: 'acme/ds', clone_url: repo.url },
    })
    const d = signedGitHub('push', payload, { delivery: 'pre-1' })
    const res = await s.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202)
    const id = res.json().id as string
    await until('the precomputed diff', async () => (await s.store.getPushDiff(id, s.variant)) !== null)
    t.notOk(
      s.logs.some((l) => /"level":(40|50)/.test(l)),
      'no warning, no error',
    )

    await s.restart()
    rmSync(join(dir, 'mirrors'), { recursive: true, force: true })
    repo.cleanup()
    const page = await s.app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth() })
    t.equal(page.statusCode, 200, 'the page from the precomputed diff')
    t.match(page.body, /train\.ipynb/)
  })

  t.test('precompute failure: the webhook is answered, one warning names the delivery, no credential', async (t) => {
    const dir = tempDir(t, 'tamer-stored-')
    const s = await serve(t, dir, { precompute: true })
    const cloneUrl = 'file://deploy:s3cret-pat-value@/nonexistent/remote.git'
    const payload = githubPush({ repository: { ...githubPush().repository, clone_url: cloneUrl } })
    const d = signedGitHub('push', payload, { delivery: 'pre-2' })
    const res = await s.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
    t.equal(res.statusCode, 202, 'answered whatever git does later')
    const id = res.json().id as string
    const warnings = () => s.logs.filter((l) => /push diff not precomputed/.test(l))
    await until('the warning', async () => warnings().length > 0)
    await s.restart()
    t.equal(warnings().length, 1, 'logged once')
    t.match(JSON.parse(warnings()[0]!), { level: 40, deliveryId: id, reason: /\S/ })
    t.notOk(
      s.logs.some((l) => l.includes('s3cret-pat-value')),
      'the credential is in no log line',
    )
    t.equal(await s.store.getPushDiff(id, s.variant), null, 'nothing stored')
  })
}
