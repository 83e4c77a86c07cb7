// Who wakes whom, through the real composition (composeService on real SQLite, the Jenkins
// emulator, a real SMTP peer): on manual timers nothing scans or waits by itself (the notifier's
// scan interval is, in effect, infinite), so a unit that acts without drain() was woken by a signal — deliveryStored
// wakes the pipeline, buildFinished
// wakes the notifier. Remove a subscription in src/compose/index.ts and its test times out.
import t from 'tap'
import { startNotifyHarness } from '../support/notify/harness.js'
import { until } from '../support/until.js'

const rules = { rules: [{ to: ['lead@example.com'] }] }

t.test('a stored delivery wakes the pipeline: it is routed and triggered without a drain', async (t) => {
  const n = await startNotifyHarness(t, () => rules)
  const { id } = await n.h.push()
  const [build] = await until('the delivery to be routed', async () => {
    const builds = await n.store.listBuilds({ deliveryId: id, limit: 5 })
    return builds.length > 0 ? builds : null
  })
  t.match(build, { deliveryId: id }, 'a build was planned')
  await until('buildWithParameters to be sent', () =>
    n.h.jenkins.state.requests.some((r) => r.path.includes('/buildWithParameters')),
  )
  t.pass('Jenkins was triggered')
})

t.test('a finished build wakes the notifier: its notice goes out without a scan or a drain', async (t) => {
  const n = await startNotifyHarness(t, () => rules)
  // The pipeline is driven to the build's end; the notifier is never drained or scanned here.
  await n.build('FAILURE', {}, [], { notify: false })
  const [build] = await n.store.listBuilds({ limit: 1 })
  t.match(build, { state: 'finished', result: 'FAILURE' })
  await until('the notice to be mailed', () => n.smtp.mails.length > 0)
  t.equal(n.smtp.mails.length, 1, 'one mail')
  t.match(n.smtp.mails[0]!.parsed.subject, /failed/)
  // The mail arrives before the notifier records it as sent: wait for the record, not a moment.
  const [notice] = await until('the notice to be recorded as sent', async () => {
    const list = await n.store.listNotifications({ limit: 5 })
    return list[0]?.state === 'sent' ? list : null
  })
  t.match(notice, { state: 'sent', buildId: build!.id })
})
