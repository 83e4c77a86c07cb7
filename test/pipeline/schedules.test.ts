// Scheduled runs (issue #14) on an injected clock, real SQLite and the Jenkins emulator: a slot runs
// once; slots missed while Tamer was down run once when it is back (not once per slot); a restart
// in the same slot runs nothing more; an invalid cron expression or zone stops the config load,
// naming the rule.
import t from 'tap'
import { validateCheckedConfig } from '../../src/compose/config.js'
import { startPipelineApp, type PipelineHarness } from '../support/pipeline-app.js'
import { SHA_B } from '../support/payloads.js'

const RULES = [
  {
    name: 'nightly',
    repository: 'acme-ds/*',
    events: ['push'],
    branch: 'never-on-push',
    template: 'tests-only',
    job: 'nightly/{repo}',
    schedules: [{ cron: '0 2 * * *', timezone: 'Europe/Berlin', parameters: { THRESHOLDS: '{"auc": 0.8}' } }],
  },
]
const at = (iso: string) => Date.parse(iso)

async function runs(h: PipelineHarness) {
  await h.drain()
  return (await h.builds()).filter((b) => b.rule === 'nightly')
}

t.test('one run per slot, and one run for all the slots missed while down', async (t) => {
  const h = await startPipelineApp(t, { rules: RULES }) // the clock reads 2026-11-27T12:00Z
  const scheduler = () => h.service.scheduler
  t.equal(await scheduler().runDue(), 0, 'a schedule seen for the first time starts from now')
  await h.push()
  await h.service.branches.catchUp()

  h.clock.set(at('2026-11-28T00:59:00Z'))
  t.equal(await scheduler().runDue(), 0, 'before 02:00 in Berlin (01:00 UTC)')
  h.clock.set(at('2026-11-28T01:00:00Z'))
  t.equal(await scheduler().runDue(), 1, "the night's slot")
  t.equal(await scheduler().runDue(), 0, 'the same slot again: nothing')
  let built = await runs(h)
  t.equal(built.length, 1)
  t.match(built[0], { branch: 'main', commitSha: SHA_B, job: 'nightly/churn-model' })
  t.equal(built[0]!.parameters.THRESHOLDS, '{"auc": 0.8}')

  // Down for five nights; back on the sixth day at noon.
  await h.restart()
  h.clock.set(at('2026-12-03T12:00:00Z'))
  t.equal(await h.service.scheduler.runDue(), 1, 'five missed slots: one run')
  await h.restart()
  t.equal(await h.service.scheduler.runDue(), 0, 'a restart within the slot runs nothing more')
  built = await runs(h)
  t.equal(built.length, 2)
  const deliveries = await h.store.listDeliveries({ limit: 10 })
  t.match(
    deliveries.filter((d) => d.eventType === 'run').map((d) => d.hostDeliveryId),
    [/^schedule:nightly#0@2026-12-03T01:00:00.000Z:github:acme-ds\/churn-model$/, /@2026-11-28T01:00:00.000Z:/],
    'each run names its slot',
  )
})

t.test('an invalid cron expression or time zone fails the config load naming the rule', async (t) => {
  const bad = (schedule: Record<string, unknown>) => () =>
    validateCheckedConfig({ rules: [{ ...RULES[0], schedules: [schedule] }] })
  t.throws(bad({ cron: '61 * * * *' }), {
    code: 'TAMER_INVALID_CONFIG',
    message: /rules\.0\.schedules\.0.*rule nightly/,
  })
  t.throws(bad({ cron: '0 2 * * *', timezone: 'Mars/Olympus' }), { message: /rule nightly.*Mars\/Olympus/ })
  t.throws(bad({ cron: '0 2 * * *', parameters: { BRANCH: 'x' } }), { message: /does not let a run set BRANCH/ })
  t.ok(validateCheckedConfig({ rules: RULES }), 'a valid one loads')
})
