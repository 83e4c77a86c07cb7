// Issue #13: the outbox of host posts on the real SQLite store and the GitHub stand-in — an older
// update arriving late is dropped (superseded), never posted over a newer state; 5xx and 429 wait
// (Retry-After honoured) and retry; a refusal is a dead letter with the host's answer.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { pino } from 'pino'
import { hostRegistryFromConfig } from '../../src/reporting/hosts.js'
import { sendHostPost, type PostDeps } from '../../src/reporting/outbox.js'
import type { NewHostPost } from '../../src/store/host-posts.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { testConfig } from '../support/app.js'
import { GitHubStandIn } from '../support/hosts/github.js'

const TOKEN = 'ghp_outboxStandInToken0123456789abcdefg'
const SHA = 'c'.repeat(40)

t.test('stale entries are dropped; retries wait as told; refusals are dead letters', async (t) => {
  const stand = await new GitHubStandIn({ repositories: ['acme/models'], tokens: [TOKEN] }).start()
  const dir = mkdtempSync(join(tmpdir(), 'tamer-outbox-'))
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  t.teardown(async () => {
    await store.close()
    await stand.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const config = testConfig({ reporting: { hosts: [{ provider: 'github', apiUrl: stand.url, token: TOKEN }] } })
  let clock = 1_000_000
  const deps: PostDeps = {
    store,
    hosts: hostRegistryFromConfig(config),
    now: () => clock,
    logger: pino({ level: 'silent' }),
    secrets: [TOKEN],
    retryBaseMs: 1000,
    retryMaxMs: 60_000,
    maxAttempts: 5,
  }
  const entry = (id: string, version: number, state: string): NewHostPost => ({
    id,
    buildId: 'b-test',
    tenant: 'default',
    provider: 'github',
    repository: 'acme/models',
    kind: 'status',
    target: `${SHA} tamer/train`,
    version,
    credential: 'reporting.hosts.0',
    payload: {
      repository: 'acme/models',
      sha: SHA,
      context: 'tamer/train',
      state,
      description: state,
      targetUrl: null,
      ref: null,
    },
  })
  const sendDue = async () => {
    for (const p of (await store.dueHostPosts(clock, 50)).due) await sendHostPost(deps, p)
  }

  // The newer state is posted; the older one, decided later, is superseded.
  t.equal(await store.recordHostPosts([entry('new', 20, 'failure')]), 1)
  await sendDue()
  t.equal(await store.recordHostPosts([entry('old', 10, 'pending')]), 1)
  t.equal(await store.recordHostPosts([entry('again', 10, 'pending')]), 0, 'the same decision twice is stored once')
  await sendDue()
  t.same(
    stand.statuses.map((s) => s.state),
    ['failure'],
  )
  const states = Object.fromEntries((await store.hostPostsOfBuild('b-test')).map((p) => [p.id, p.state]))
  t.same(states, { new: 'sent', old: 'superseded' })

  // 429 with Retry-After: waits that long, then posts.
  stand.script({ status: 429, headers: { 'retry-after': '30' }, body: { message: 'slow down' } })
  await store.recordHostPosts([entry('later', 30, 'success')])
  await sendDue()
  t.equal(stand.statuses.length, 1)
  clock += 29_000
  t.equal((await store.dueHostPosts(clock, 50)).due.length, 0, 'not before Retry-After')
  clock += 2_000
  await sendDue()
  t.same(stand.statuses.at(-1)!.state, 'success')

  // 403 without a rate limit: dead, with the host's answer, the entry named.
  stand.script({ status: 403, body: { message: 'Resource not accessible by integration' } })
  await store.recordHostPosts([entry('refused', 40, 'success')])
  await sendDue()
  const refused = (await store.hostPostsOfBuild('b-test')).find((p) => p.id === 'refused')!
  t.equal(refused.state, 'dead')
  t.match(refused.lastError, /reporting\.hosts\.0 was refused: GitHub .*403 Resource not accessible/)
  t.same(stand.violations, [])
})
