// Issue #17, as an operator's bad day: `tamer serve` (a child process, started as in the README)
// takes a burst of 300 signed GitHub pushes (distinct GUIDs and commits, 20 in flight) for one
// templated job, and is SIGKILLed three times during it, twice the moment Jenkins has answered
// a buildWithParameters that Tamer has not recorded yet, once anywhere. It is restarted on the
// same data dir each time; sends that got no answer are redelivered with the same GUID and body.
// Jenkins is strict: `builds` is the newest 100, and a request is in neither the queue nor the
// builds for a second after it leaves the queue. Every acknowledged delivery must be built
// exactly once (counted in Jenkins), and listed once with one run in /api/builds.
import t from 'tap'
import { runBurst } from '../support/burst.js'

t.setTimeout(300_000) // four start-ups of a child process: seconds each, far more on a loaded machine

t.test('a burst with three SIGKILLs: every acknowledged delivery builds exactly once', async (t) => {
  const r = await runBurst({
    deliveries: 300,
    inFlight: 20,
    kills: [
      { atAcked: 0.25, on: 'trigger-answered' },
      { atAcked: 0.5, on: 'now' },
      { atAcked: 0.75, on: 'trigger-answered' },
    ],
    progress: (m) => t.comment(m),
  })
  t.comment(JSON.stringify(r))
  t.equal(r.kills, 3)
  t.equal(r.acknowledged, 300, 'every delivery acknowledged in the end')
  t.ok(r.uncertainTriggers > 0, 'the kills left triggers whose outcome Tamer did not know')
  t.ok(r.jobBuilds > 100, 'more than 100 builds of the one job')
  t.equal(r.builtTwice, 0, 'no acknowledged delivery built twice')
  t.equal(r.lost, 0, 'none lost')
  t.equal(r.builtOnce, 300, 'each built exactly once')
  t.equal(r.builtUnacknowledged, 0, 'nothing built that Tamer never acknowledged')
  t.equal(r.records, 300, '/api/builds lists each once')
  t.equal(r.recordsNotOneRun, 0, 'each with exactly the one run Jenkins made')
})
