// The emulator's `input` step against what the plugins' source says (src/demo/jenkins-emulator/input-facts.md;
// no recorded input answers exist in the shared corpus): wfapi/pendingInputActions' shape, proceedEmpty and
// abort, POST only, 404 for an id not pending, and a user outside `submitter` refused with 400 + X-Error.
import t from 'tap'
import { basic } from '../support/jenkins-emulator/http-client.js'
import { emulator, pushJobXml } from '../support/jenkins-emulator/fixtures.js'

const USERS = [
  { id: 'tamer', apiToken: 'tok' },
  { id: 'ada', apiToken: 'atok', permissions: ['Overall/Read' as const, 'Job/Read' as const, 'Job/Build' as const] },
  {
    id: 'canceller',
    apiToken: 'ctok',
    permissions: ['Overall/Read' as const, 'Job/Read' as const, 'Job/Cancel' as const],
  },
]

async function paused(t: { teardown(fn: () => unknown): void }, submitter = 'Tamer, release-managers') {
  const j = await emulator(t, { users: USERS, quietPeriodSec: 0 })
  j.control.createJob('folder-less job', pushJobXml())
  j.control.setDefaultScenario({
    durationMs: 3000,
    stages: ['Checkout', 'Sign-off', 'Deploy'],
    input: { id: 'tamerSignoff', message: 'Deploy to production?', ok: 'Deploy', submitter, atMs: 500 },
  })
  const auth = basic('tamer', 'tok')
  const queued = await j.call('/job/folder-less%20job/buildWithParameters', { method: 'POST', auth })
  if (queued.status !== 201) throw new Error(`buildWithParameters answered ${queued.status}`)
  j.control.advance(20_000)
  return { j, auth, build: '/job/folder-less%20job/1' }
}

t.test('pendingInputActions lists the paused input the way pipeline-stage-view does', async (t) => {
  const { j, auth, build } = await paused(t)
  const r = await j.call(`${build}/wfapi/pendingInputActions`, { auth })
  t.equal(r.status, 200)
  t.same(r.json(), [
    {
      id: 'TamerSignoff',
      proceedText: 'Deploy',
      message: 'Deploy to production?',
      inputs: [],
      proceedUrl: '/job/folder-less%20job/1/wfapi/inputSubmit?inputId=TamerSignoff',
      abortUrl: '/job/folder-less%20job/1/input/TamerSignoff/abort',
      redirectApprovalUrl: '/job/folder-less%20job/1/input/',
    },
  ])
  t.equal((await j.call(`${build}/api/json`, { auth })).json().building, true, 'still building while it waits')
  t.equal((await j.call(`${build}/input/TamerSignoff/proceedEmpty`, { auth })).status, 405, 'GET: 405')
  t.equal(
    (await j.call(`${build}/input/tamerSignoff/proceedEmpty`, { method: 'POST', auth })).status,
    404,
    'ids are exact',
  )

  const outsider = await j.call(`${build}/input/TamerSignoff/proceedEmpty`, {
    method: 'POST',
    auth: basic('ada', 'atok'),
  })
  t.equal(outsider.status, 400, 'not 403')
  t.equal(outsider.header('x-error'), 'You need to be Tamer, release-managers to submit this.')
  const abortDenied = await j.call(`${build}/input/TamerSignoff/abort`, { method: 'POST', auth: basic('ada', 'atok') })
  t.equal(abortDenied.status, 400)
  t.equal(
    abortDenied.header('x-error'),
    "You need to be 'Tamer, release-managers' (or have Job/Cancel permissions) to cancel this.",
  )

  // The submitter list is compared case-insensitively, entries trimmed.
  const ok = await j.call(`${build}/input/TamerSignoff/proceedEmpty`, { method: 'POST', auth })
  t.equal(ok.status, 200)
  t.same((await j.call(`${build}/wfapi/pendingInputActions`, { auth })).json(), [], 'settled: no longer pending')
  t.equal(
    (await j.call(`${build}/input/TamerSignoff/proceedEmpty`, { method: 'POST', auth })).status,
    404,
    'settled: gone',
  )
  j.control.advance(10_000)
  const done = (await j.call(`${build}/api/json`, { auth })).json()
  t.match(done, { building: false, result: 'SUCCESS' })
  t.match(
    (await j.call(`${build}/consoleText`, { auth })).body,
    /\[Pipeline\] input\n[\s\S]*Approved by tamer\n[\s\S]*Finished: SUCCESS/,
  )
})

t.test('abort: by a submitter or anyone with Job/Cancel; the build ends ABORTED', async (t) => {
  const { j, auth, build } = await paused(t, 'ada')
  const byCanceller = await j.call(`${build}/input/TamerSignoff/abort`, {
    method: 'POST',
    auth: basic('canceller', 'ctok'),
  })
  t.equal(byCanceller.status, 200, 'Job/Cancel may abort without being a submitter')
  j.control.advance(1000)
  t.match((await j.call(`${build}/api/json`, { auth })).json(), { building: false, result: 'ABORTED' })
  t.match((await j.call(`${build}/consoleText`, { auth })).body, /Rejected by canceller\nFinished: ABORTED\n$/)
})
