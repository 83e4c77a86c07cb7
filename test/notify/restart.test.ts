// Restarts: pending notices are sent after a restart, once; a notice interrupted mid-send is
// never sent again but becomes a dead letter in /api/notifications (tenant-scoped), re-sendable.
import t from 'tap'
import { createLogger } from '../../src/logging.js'
import type { NotifyingStore } from '../../src/notify/notifier.js'
import { startNotifyHarness, SECRETS } from '../support/notify/harness.js'
import { until } from '../support/until.js'

const rules = { rules: [{ to: ['lead@example.com'] }] }

t.test('notices pending at a restart are sent once after it', async (t) => {
  const n = await startNotifyHarness(t, () => ({ ...rules, retryBaseMs: 10_000 }))
  n.smtp.refuseNext(1)
  await n.build('FAILURE')
  t.match((await n.store.listNotifications({ limit: 5 }))[0], { state: 'pending', attempts: 1 })
  await n.restart()
  n.h.advance(10_000)
  await n.notifier.drain()
  t.equal(n.smtp.mails.length, 1)
  await n.restart()
  n.h.advance(3_600_000)
  await n.notifier.drain()
  t.equal(n.smtp.mails.length, 1, 'not again after another restart')
})

t.test('killed mid-send: a dead letter after the restart, never sent twice; resend via the API', async (t) => {
  // Re-sending changes state: it needs the operate scope (a plain config token is read-only).
  const api = {
    tokens: [
      { token: SECRETS.api, scope: 'operate' },
      { token: 'other-tenant-token', tenants: ['risk'], scope: 'operate' },
      'read-only-token-01',
    ],
  }
  const n = await startNotifyHarness(t, () => rules, { config: { api } })
  // The process dies after `sending` is committed and before the peer's answer is recorded.
  const raw = n.store
  let die = true
  const dying: NotifyingStore = {
    ...raw,
    updateNotification: async (id, from, patch) =>
      die && patch.state === 'sent' ? new Promise<boolean>(() => {}) : raw.updateNotification(id, from, patch),
  }
  await n.notifier.stop()
  const { createNotifier } = await import('../../src/notify/notifier.js')
  const { manualTimers } = await import('../../src/work/timers.js')
  const doomed = createNotifier({
    config: n.config,
    store: dying,
    logger: createLogger('silent'),
    now: () => n.h.clock.now(),
    timers: manualTimers,
  })
  await n.build('FAILURE', {}, [], { notify: false })
  void doomed.drain()
  await until('the SMTP server took the mail', () => n.smtp.mails.length > 0)
  t.equal(n.smtp.mails.length, 1, 'the SMTP server took it')
  t.match((await raw.listNotifications({ limit: 5 }))[0], { state: 'sending' })
  // the doomed process is gone; restart() closes the (stopped) service and starts a new one
  die = false
  await n.restart()
  const [x] = await n.store.listNotifications({ limit: 5 })
  t.match(x, { state: 'dead', lastError: /interrupted by a restart/ })
  await n.notifier.drain()
  t.equal(n.smtp.mails.length, 1, 'not sent a second time')

  const app = n.h.app
  const auth = { authorization: `Bearer ${SECRETS.api}` }
  t.equal((await app.inject({ method: 'GET', url: '/api/notifications' })).statusCode, 401)
  const list = await app.inject({ method: 'GET', url: '/api/notifications?state=dead', headers: auth })
  t.equal(list.statusCode, 200)
  t.match(list.json().items, [{ id: x!.id, state: 'dead', channel: 'email', recipients: 2, subject: /failed/ }])
  t.notMatch(list.body, 'lead@example.com', 'addresses are counted, not listed')
  const other = { authorization: 'Bearer other-tenant-token' }
  t.same(
    (await app.inject({ method: 'GET', url: '/api/notifications', headers: other })).json().items,
    [],
    'another tenant sees nothing',
  )
  t.equal(
    (await app.inject({ method: 'POST', url: `/api/notifications/${x!.id}/resend`, headers: other })).statusCode,
    404,
  )
  t.match(
    (
      await app.inject({
        method: 'POST',
        url: `/api/notifications/${x!.id}/resend`,
        headers: { authorization: 'Bearer read-only-token-01' },
      })
    ).json(),
    { statusCode: 403, code: 'TAMER_FORBIDDEN' },
  )
  const resend = await app.inject({ method: 'POST', url: `/api/notifications/${x!.id}/resend`, headers: auth })
  t.equal(resend.statusCode, 202)
  await n.notifier.drain()
  t.equal(n.smtp.mails.length, 2, 're-sent on request')
  const again = await app.inject({ method: 'POST', url: `/api/notifications/${x!.id}/resend`, headers: auth })
  t.match(again.json(), { statusCode: 409, code: 'TAMER_NOTIFICATION_NOT_DEAD' })
})
