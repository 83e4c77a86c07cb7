// Stored push diffs past diffs.storeDays are deleted (every variant), newer ones stay; the pass
// runs at start and on its interval, says what it deleted, and a store failure is a warning.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createPushDiffRetention } from '../../src/diffs/retention.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import type { NewDelivery } from '../../src/store/store.js'

const DAY = 24 * 60 * 60 * 1000
const delivery = (key: string): NewDelivery => ({
  provider: 'github',
  dedupeKey: key,
  hostDeliveryId: key,
  eventType: 'push',
  tenant: 'default',
  repository: 'acme/r',
  status: 'processed',
  headers: {},
  body: Buffer.from('{}'),
  normalized: { kind: 'ignored', reason: 'test' },
  receivedAt: new Date().toISOString(),
})

function logs() {
  const lines: { level: string; obj: object; msg: string }[] = []
  return {
    lines,
    info: (obj: object, msg: string) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg: string) => void lines.push({ level: 'warn', obj, msg }),
  }
}

t.test('rows older than storeDays go, of every variant; newer rows stay', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-retention-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  t.teardown(() => store.close())
  const old = (await store.recordDelivery(delivery('old'))).id
  for (const variant of ['native-a-f1', 'nbdime-a-f1'])
    await store.savePushDiff({ deliveryId: old, variant, payload: Buffer.from('x'), rawBytes: 1 })
  // Rows are stamped by the store's clock: the retention's clock moves instead.
  await new Promise((r) => setTimeout(r, 5))
  const cut = Date.now()
  await new Promise((r) => setTimeout(r, 5))
  const fresh = (await store.recordDelivery(delivery('fresh'))).id
  await store.savePushDiff({ deliveryId: fresh, variant: 'native-a-f1', payload: Buffer.from('y'), rawBytes: 1 })

  const log = logs()
  const retention = createPushDiffRetention({ store, days: 90, logger: log, now: () => cut + 90 * DAY })
  t.equal(await retention.prune(), 2, 'both variants of the old delivery')
  t.equal(await store.getPushDiff(old, 'native-a-f1'), null)
  t.equal(await store.getPushDiff(old, 'nbdime-a-f1'), null)
  t.ok(await store.getPushDiff(fresh, 'native-a-f1'), 'the newer row stays')
  t.match(log.lines, [{ level: 'info', obj: { deleted: 2 }, msg: /diffs\.storeDays/ }])
  t.equal(await retention.prune(), 0, 'nothing left to delete')
  t.equal(log.lines.length, 1, 'a pass that deletes nothing says nothing')
})

/** Polls until `done` holds (the interval's timing is the machine's, not the test's). */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !done(); await new Promise((r) => setTimeout(r, 5)))
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`)
}

t.test('start runs a pass at once and then on its interval; stop ends it; days 0 never prunes', async (t) => {
  const calls: string[] = []
  const store = { prunePushDiffs: async (before: string) => (calls.push(before), 0) }
  const log = logs()
  const retention = createPushDiffRetention({
    store,
    days: 1,
    logger: log,
    now: () => Date.parse('2026-11-27T12:00:00Z'),
    everyMs: 20,
  })
  retention.start()
  t.equal(calls.length, 1, 'one pass at once')
  t.equal(calls[0], '2026-11-26T12:00:00.000Z', 'the cut-off is now minus storeDays')
  retention.start() // a second start adds no second pass or timer
  t.equal(calls.length, 1)
  await waitFor(() => calls.length >= 3, 'two interval passes')
  retention.stop()
  const seen = calls.length
  await new Promise((r) => setTimeout(r, 60))
  t.equal(calls.length, seen, 'no pass after stop')

  const never = createPushDiffRetention({ store, days: 0, logger: log, everyMs: 1 })
  never.start()
  await new Promise((r) => setTimeout(r, 20))
  never.stop()
  t.equal(calls.length, seen, 'storeDays 0 keeps everything')
})

t.test('a failing store is a warning, and the next pass tries again', async (t) => {
  let fail = true
  const store = {
    prunePushDiffs: async () => {
      if (fail) throw new Error('database is locked')
      return 3
    },
  }
  const log = logs()
  const retention = createPushDiffRetention({ store, days: 1, logger: log, everyMs: 20 })
  retention.start()
  await waitFor(() => log.lines.length > 0, 'the first pass')
  t.match(log.lines[0], { level: 'warn', obj: { err: 'database is locked' }, msg: /will retry/ })
  fail = false
  await waitFor(() => log.lines.some((l) => l.level === 'info'), 'a later pass')
  retention.stop()
  t.match(
    log.lines.find((l) => l.level === 'info'),
    { obj: { deleted: 3 } },
    'a later pass deleted rows',
  )
})
