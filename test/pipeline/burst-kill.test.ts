// Issue #17, as an operator's bad day: `tamer serve` (a child process, started as in the README)
// takes a burst of 100 signed GitHub pushes (distinct GUIDs and commits, 20 in flight) for one
// templated job, and is SIGKILLed twice during it: once the moment Jenkins has answered a
// buildWithParameters that Tamer has not recorded yet, once anywhere. It is restarted on the
// same data dir each time; sends that got no answer are redelivered with the same GUID and body.
// Jenkins is strict: a request is in neither the queue nor the builds for a second after it
// leaves the queue. Every acknowledged delivery must be built exactly once (counted in Jenkins),
// and listed once with one run in /api/builds.
// The full-size burst (300 pushes, three kills, more than 100 builds of the job, so `builds`
// no longer shows them all) is `npm run bench:dispatch`; the search past Jenkins' newest 100
// builds is test/pipeline/uncertain-trigger.test.ts.
import t from 'tap'
import { runBurst } from '../support/burst.js'

t.setTimeout(300_000) // three start-ups of a child process: seconds each, far more on a loaded machine

t.test('a burst with two SIGKILLs: every acknowledged delivery builds exactly once', async (t) => {
  const r = await runBurst({
    deliveries: 100,
    inFlight: 20,
    kills: [
      { atAcked: 0.3, on: 'trigger-answered' },
      { atAcked: 0.65, on: 'now' },
    ],
    progress: (m) => t.comment(m),
  })
  t.comment(JSON.stringify(r))
  t.equal(r.kills, 2)
  t.equal(r.acknowledged, 100, 'every delivery acknowledged in the end')
  t.ok(r.uncertainTriggers > 0, 'the kills left triggers whose outcome Tamer did not know')
  t.equal(r.builtTwice, 0, 'no acknowledged delivery built twice')
  t.equal(r.lost, 0, 'none lost')
  t.equal(r.builtOnce, 100, 'each built exactly once')
  t.equal(r.builtUnacknowledged, 0, 'nothing built that Tamer never acknowledged')
  t.equal(r.records, 100, '/api/builds lists each once')
  t.equal(r.recordsNotOneRun, 0, 'each with exactly the one run Jenkins made')
})
