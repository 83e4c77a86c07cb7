// Issues #16 and #17, as an operator's bad day, on both store engines at once: `tamer serve` (a
// child process, started as in the README) takes a burst of 100 signed GitHub pushes (distinct
// GUIDs and commits, 20 in flight) for one templated job, and is SIGKILLed three times during it:
// once the moment Jenkins has answered a buildWithParameters that Tamer has not recorded yet, twice
// anywhere. It is restarted on the same data (SQLite's data dir; a fresh PostgreSQL database) each
// time; sends that got no answer are redelivered with the same GUID and body. Jenkins is strict: a
// request is in neither the queue nor the builds for a second after it leaves the queue. Every
// build ends UNSTABLE and a notification rule sends its notice to a webhook receiver.
// Every acknowledged delivery must be built exactly once (counted in Jenkins by DELIVERY_ID),
// listed once with one run in /api/builds, and have exactly one notice decided and received
// once (counted at the receiver by the outbox id); nothing refused or unacknowledged appears.
// The two engines run side by side (most of a burst is waiting on Jenkins' quiet period).
// The full-size bursts (500 pushes, three kills, both engines) are `npm run bench:dispatch`
// (BENCH_ENGINE); the search past Jenkins' newest 100 builds is test/pipeline/uncertain-trigger.test.ts.
import t, { type Test } from 'tap'
import { runBurst, type BurstResult } from '../support/burst.js'
import { freshDatabase } from '../support/postgres.js'

t.setTimeout(300_000) // three start-ups of a child process: seconds each, far more on a loaded machine

const DELIVERIES = 100

function check(t: Test, r: BurstResult) {
  t.comment(JSON.stringify(r))
  t.equal(r.kills, 3)
  t.equal(r.acknowledged, DELIVERIES, 'every delivery acknowledged in the end')
  t.ok(r.uncertainTriggers > 0, 'the kills left triggers whose outcome Tamer did not know')
  t.equal(r.builtTwice, 0, 'no acknowledged delivery built twice')
  t.equal(r.lost, 0, 'none lost')
  t.equal(r.builtOnce, DELIVERIES, 'each built exactly once')
  t.equal(r.builtUnacknowledged, 0, 'nothing built that Tamer never acknowledged')
  t.equal(r.records, DELIVERIES, '/api/builds lists each once')
  t.equal(r.recordsNotOneRun, 0, 'each with exactly the one run Jenkins made')
  const n = r.notices!
  t.equal(n.decided, DELIVERIES, 'one notice decided per build')
  t.equal(n.buildsNotOneNotice, 0, 'no build with none or two')
  t.equal(n.receivedTwice, 0, 'no notice received twice')
  t.equal(n.strays, 0, 'nothing received that Tamer did not decide')
  // A kill that lands while a notice is on its way leaves it `sending`: after the restart it is a dead letter
  // (`tamer dead-letters --retry`), never sent twice, since Tamer cannot know whether the receiver got it (README:
  // "a notice left `sending` … becomes a dead letter"). Every other notice is received once.
  // (decided = received once + twice + not received, so "lost 0" with "none twice" is the whole claim.)
  t.equal(n.lost, 0, 'no notice lost: each received, or a dead letter its interrupted send left')
}

t.test(
  'a burst with three SIGKILLs on each engine: every acknowledged delivery builds and notifies once',
  async (t) => {
    const url = await freshDatabase(t)
    const burst = (engine: string, databaseUrl?: string) =>
      runBurst({
        deliveries: DELIVERIES,
        inFlight: 20,
        kills: [
          { atAcked: 0.25, on: 'trigger-answered' },
          { atAcked: 0.5, on: 'now' },
          { atAcked: 0.75, on: 'now' },
        ],
        databaseUrl,
        notices: true,
        progress: (m) => t.comment(`${engine}: ${m}`),
      })
    const [sqlite, postgres] = await Promise.all([burst('sqlite'), url ? burst('postgres', url) : null])
    t.test('sqlite', async (t) => check(t, sqlite))
    if (postgres) t.test('postgres', async (t) => check(t, postgres))
  },
)
