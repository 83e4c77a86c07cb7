// The emulator's queue finds its next transition from indexes (issue #12: the walk over every item and build cost a
// burst ~1 ms per request). Same transitions, same order: random histories run on it and on the walk it replaced
// (test/support/jenkins-emulator/walk-queue.ts), compared after every step.
import t from 'tap'
import { endBuild } from '../../src/demo/jenkins-emulator/builds.js'
import { abort, proceed } from '../../src/demo/jenkins-emulator/input.js'
import { JenkinsQueue } from '../../src/demo/jenkins-emulator/queue.js'
import type { BuildScenario, Item, ParamValue, QueueItem } from '../../src/demo/jenkins-emulator/types.js'
import { WalkQueue } from '../support/jenkins-emulator/walk-queue.js'
import { seededRandom } from '../support/seeded.js'

function jobs(n: number, concurrent: (k: number) => boolean): Item[] {
  return Array.from({ length: n }, (_, k) => ({
    name: `job${k}`,
    parent: null,
    configXml: '',
    def: {
      kind: 'pipeline' as const,
      description: null,
      disabled: false,
      quietPeriod: undefined,
      authToken: undefined,
      concurrentBuild: concurrent(k),
      parameters: [],
    },
    children: new Map(),
    builds: [],
    nextBuildNumber: 1,
  }))
}

const itemView = (i: QueueItem) => ({
  id: i.id,
  job: i.job.name,
  state: i.state,
  due: i.due,
  buildableStart: i.buildableStart,
  leftAt: i.leftAt,
  cancelled: i.cancelled,
  build: i.build?.number,
  causes: i.causes.length,
})
const buildsView = (js: Item[]) =>
  js.map((j) => j.builds.map((b) => [b.number, b.queueId, b.startedAt, b.endAt, b.endProcessed, b.finalResult]))

for (const seed of [1, 2, 3, 4, 5, 6]) {
  t.test(`history ${seed}: the indexed queue makes the walk's transitions`, async (t) => {
    const rnd = seededRandom(seed)
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!
    const concurrent = (k: number) => k % 2 === 0
    const [jobsA, jobsB] = [jobs(3, concurrent), jobs(3, concurrent)]
    // Ends and gaps on a coarse grid, so that transitions fall on the same millisecond (the order of ties).
    const scenario = (_: Item, number: number): BuildScenario =>
      number % 5 === 3
        ? { durationMs: 200, input: { id: 'ok', message: 'Go?', atMs: 50 } }
        : { durationMs: [100, 200, 400, Infinity][number % 4]! }
    const timing = () => ({ buildableMs: 100, executableGapMs: 50, leftItemTtlMs: 1000, executors: Infinity })
    const a = new JenkinsQueue(timing(), scenario, 0)
    const b = new WalkQueue(timing(), scenario, 0)
    const params: ParamValue[][] = [1, 2, 3].map((v) => [{ type: 'string', name: 'P', value: String(v) }])
    let now = 0
    for (let step = 0; step < 600; step++) {
      const r = rnd()
      const k = Math.floor(rnd() * 3)
      let what: string
      if (r < 0.45) {
        const p = rnd() < 0.3 ? null : pick(params)
        const quiet = pick([0, 0, 0.05, 0.1])
        const x = a.schedule(jobsA[k]!, p, [], now, quiet)
        const y = b.schedule(jobsB[k]!, p, [], now, quiet)
        what = 'schedule'
        if (x.item.id !== y.item.id || x.merged !== y.merged) return void t.same(x, y, `step ${step}: schedule`)
      } else if (r < 0.8) {
        now += pick([0, 10, 50, 50, 100, 150, 300])
        a.runUntil(now)
        b.runUntil(now)
        what = 'advance'
      } else if (r < 0.87) {
        const id = 1 + Math.floor(rnd() * a.nextId)
        what = 'cancel'
        if (a.cancel(id, now) !== b.cancel(id, now)) return void t.fail(`step ${step}: cancel ${id} differs`)
      } else if (r < 0.94) {
        // A stop or an input settled: a build's end changed outside the queue.
        const ja = jobsA[k]!.builds.filter((x) => x.endAt > now)
        const n = Math.floor(rnd() * ja.length)
        const [x, y] = [ja[n], jobsB[k]!.builds.filter((x) => x.endAt > now)[n]]
        if (x && y) {
          const by = { id: 'u', fullName: 'U' }
          if (x.input?.outcome === null && now >= x.input.at) {
            const settle = rnd() < 0.5 ? proceed : abort
            settle(x, now, by)
            settle(y!, now, by)
          } else {
            endBuild(x, now, 'ABORTED')
            endBuild(y!, now, 'ABORTED')
          }
        }
        what = 'end'
      } else if (r < 0.97) {
        const n = pick([1, 2, Infinity])
        a.timing.executors = n
        b.timing.executors = n
        what = 'executors'
      } else {
        a.forgetLeft()
        b.forgetLeft()
        what = 'restart'
      }
      const id = 1 + Math.floor(rnd() * a.nextId)
      const [got, want] = [
        { active: a.active(now), items: a.items, builds: jobsA, item: a.get(id, now) },
        { active: b.active(now), items: b.items, builds: jobsB, item: b.get(id, now) },
      ].map((q) => ({
        active: q.active.map(itemView),
        items: q.items.map(itemView),
        builds: buildsView(q.builds),
        item: q.item && itemView(q.item),
      }))
      // One assertion per history (thousands of steps); the first step that differs is shown whole.
      if (JSON.stringify(got) !== JSON.stringify(want)) return void t.same(got, want, `step ${step} (${what})`)
    }
    t.pass(`600 steps alike`)
    // The history went through every kind of transition.
    const all = jobsA.flatMap((j) => j.builds)
    t.ok(
      all.some((x) => x.endProcessed),
      'builds ended',
    )
    t.ok(a.items.some((i) => i.state === 'blocked') || all.length > 0, 'items blocked or built')
    t.ok(a.nextId > a.items.length + 1, 'items forgotten')
  })
}
