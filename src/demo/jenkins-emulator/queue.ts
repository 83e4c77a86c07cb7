// The build queue (jenkinsci/jenkins core/src/main/java/hudson/model/Queue.java, with identical
// requests merged by ParametersAction.shouldSchedule): Waiting → (Blocked) → Buildable → Left with
// `executable: null` for a moment → Left with `executable`, or Left cancelled.
// Transitions are replayed in time order up to the clock's `now` whenever the
// emulator is looked at, so a manual clock drives everything.
import { timeSpanString } from './clock.js'
import {
  buildRef,
  causeAction,
  createBuild,
  endsVersion,
  estimatedDuration,
  isBuilding,
  parametersAction,
  paramsRecord,
} from './builds.js'
import { colorOf, WORKFLOW_JOB } from './colors.js'
import { pauseAtInput } from './input.js'
import { fullName, itemUrl } from './paths.js'
import type { Build, BuildScenario, Cause, Item, ParamValue, QueueItem } from './types.js'

export interface QueueTiming {
  /** how long an item stays Buildable before an executor takes it (ms) */
  buildableMs: number
  /** the LeftItem `executable: null` window (ms) */
  executableGapMs: number
  /** LeftItems are forgotten this long after leaving (Jenkins: 5 min) */
  leftItemTtlMs: number
  /** concurrent executors for Pipeline tasks (Infinity: flyweight, never waits) */
  executors: number
}

type Event = { at: number; run: () => void }

// Keys are cached per parameter list: schedule() compares against every queued item.
const paramKeys = new WeakMap<ParamValue[], string>()

function paramKey(params: ParamValue[] | null): string {
  if (!params) return ''
  let key = paramKeys.get(params)
  if (key === undefined) {
    key = params
      .map((p) => `${p.name}=${String(p.value)}`)
      .sort()
      .join('\n')
    paramKeys.set(params, key)
  }
  return key
}

/** Left and done with: started or cancelled. Its one transition left is being forgotten. */
const settled = (i: QueueItem) => i.state === 'left' && (i.cancelled || i.build !== undefined)

export class JenkinsQueue {
  /** In the order they were scheduled; change them through this class (its indexes follow them). */
  readonly items: QueueItem[] = []
  nextId = 1
  #cursor: number

  // The indexes of the next transition (issue #12: a walk over every item and every build per transition cost a
  // burst ~1 ms per request at 1,000 items). They pick what the walk picked: the earliest, and between equal
  // times the first in `items` order, then builds in their job's order, jobs in the order of their first item.
  /** The items with a transition besides being forgotten (not settled), in `items` order. */
  readonly #active = new Set<QueueItem>()
  readonly #byId = new Map<number, QueueItem>()
  /** Items per job: a job's builds count for 'end' transitions only while it has items in the queue. */
  readonly #perJob = new Map<Item, number>()
  /** The settled item forgotten first; null: none; undefined: to be found again. */
  #forget: QueueItem | null | undefined = null
  /** The unprocessed build end that comes first; null: none; undefined: to be found again. */
  #end: Build | null | undefined = null
  /** endsVersion() when #end was found: a build's end changed outside the queue since then means finding it again. */
  #endsSeen = endsVersion()

  readonly timing: QueueTiming
  private readonly scenarioFor: (job: Item, number: number, params: ParamValue[] | null) => BuildScenario

  constructor(
    timing: QueueTiming,
    scenarioFor: (job: Item, number: number, params: ParamValue[] | null) => BuildScenario,
    start: number,
  ) {
    this.timing = timing
    this.scenarioFor = scenarioFor
    this.#cursor = start
  }

  /** Queue.schedule2: merge into an identical waiting/blocked/buildable item, else add. */
  schedule(
    job: Item,
    params: ParamValue[] | null,
    causes: Cause[],
    now: number,
    quietSec: number,
  ): { item: QueueItem; merged: boolean } {
    this.runUntil(now)
    const due = now + quietSec * 1000
    const key = paramKey(params)
    // Pending and left items are not candidates ("Do not include pendings"). Only active items can be in the queue.
    let existing: QueueItem | undefined
    for (const i of this.#active)
      if (i.job === job && i.state !== 'left' && paramKey(i.params) === key) {
        existing = i
        break
      }
    if (existing) {
      existing.causes.push(...causes)
      if (existing.state === 'waiting' && due < existing.due) existing.due = due
      return { item: existing, merged: true }
    }
    const item: QueueItem = {
      id: this.nextId++,
      job,
      params,
      causes: [...causes],
      inQueueSince: now,
      due,
      state: 'waiting',
      cancelled: false,
    }
    this.items.push(item)
    this.#active.add(item)
    this.#byId.set(item.id, item)
    const n = this.#perJob.get(job) ?? 0
    this.#perJob.set(job, n + 1)
    // A job coming into the queue brings its builds' ends.
    if (n === 0) this.#end = undefined
    return { item, merged: false }
  }

  get(id: number, now: number): QueueItem | undefined {
    this.runUntil(now)
    return this.#byId.get(id)
  }

  active(now: number): QueueItem[] {
    this.runUntil(now)
    return this.items.filter((i) => i.state !== 'left')
  }

  /** Queue.cancel: only items still in the queue can be cancelled. */
  cancel(id: number, now: number): boolean {
    const item = this.get(id, now)
    if (!item || item.state === 'left') return false
    item.state = 'left'
    item.cancelled = true
    item.leftAt = now
    this.#settle(item)
    return true
  }

  /** Forget everything about a job (it was deleted). */
  dropJob(job: Item, now: number): void {
    for (const i of this.active(now)) if (i.job === job || isInside(i.job, job)) this.cancel(i.id, now)
  }

  /** A restart: left items are forgotten at once (started or not). */
  forgetLeft(): void {
    for (const i of [...this.items]) if (i.state === 'left') this.#remove(i)
  }

  #settle(i: QueueItem): void {
    this.#active.delete(i)
    const f = this.#forget
    if (f === undefined) return
    // The earlier leftAt, or between equal ones the first in `items`.
    if (f === null || i.leftAt! < f.leftAt! || (i.leftAt === f.leftAt && this.#before(i, f))) this.#forget = i
  }

  #remove(i: QueueItem): void {
    this.items.splice(this.items.indexOf(i), 1)
    this.#active.delete(i)
    this.#byId.delete(i.id)
    const n = this.#perJob.get(i.job)! - 1
    if (n === 0) this.#perJob.delete(i.job)
    else this.#perJob.set(i.job, n)
    if (this.#forget === i) this.#forget = undefined
    // The jobs' order (by their first item) may have changed, or a job left the queue with its builds.
    this.#end = undefined
  }

  #before(a: QueueItem, b: QueueItem): boolean {
    return this.items.indexOf(a) < this.items.indexOf(b)
  }

  #forgetFirst(): QueueItem | null {
    if (this.#forget !== undefined) return this.#forget
    let best: QueueItem | null = null
    for (const i of this.items) if (settled(i) && (best === null || i.leftAt! < best.leftAt!)) best = i
    return (this.#forget = best)
  }

  #endFirst(): Build | null {
    if (this.#endsSeen !== endsVersion()) this.#end = undefined
    if (this.#end !== undefined) return this.#end
    let best: Build | null = null
    for (const job of new Set(this.items.map((i) => i.job)))
      for (const b of job.builds)
        if (!b.endProcessed && Number.isFinite(b.endAt) && (best === null || b.endAt < best.endAt)) best = b
    this.#endsSeen = endsVersion()
    return (this.#end = best)
  }

  /** A build the queue just started: its end joins the index (after the builds before it in its job). */
  #started(b: Build): void {
    const e = this.#end
    if (e === undefined || !Number.isFinite(b.endAt)) return
    if (e === null || b.endAt < e.endAt) this.#end = b
    // Equal ends of two jobs: the jobs' order decides; found again by the walk.
    else if (b.endAt === e.endAt && e.job !== b.job) this.#end = undefined
  }

  #busy(at: number): number {
    let n = 0
    for (const i of this.items) if (i.state === 'left' && !i.cancelled && (!i.build || isBuilding(i.build, at))) n++
    return n
  }

  #runningBuildOf(job: Item, at: number) {
    return job.builds.find((b) => isBuilding(b, at))
  }

  #jobOccupied(job: Item, at: number, except?: QueueItem): boolean {
    if (this.#runningBuildOf(job, at)) return true
    return this.items.some((i) => i !== except && i.job === job && i.state === 'left' && !i.cancelled && !i.build)
  }

  /** The earliest due transition. Only the winner gets a closure. */
  #nextEvent(): Event | undefined {
    const t = this.timing
    type Kind = 'wake' | 'take' | 'start' | 'forget' | 'end'
    let at = Infinity
    let kind: Kind | undefined
    let item: QueueItem | undefined
    const consider = (when: number, k: Kind, i: QueueItem) => {
      if (when < at) [at, kind, item] = [when, k, i]
    }
    // One count per pass, not one per buildable item; none without a limit.
    let busy: number | undefined
    for (const i of this.#active) {
      if (i.state === 'waiting') consider(i.due, 'wake', i)
      else if (
        i.state === 'buildable' &&
        (t.executors === Infinity || (busy ??= this.#busy(this.#cursor)) < t.executors)
      )
        consider(Math.max(this.#cursor, (i.buildableStart ?? i.due) + t.buildableMs), 'take', i)
      else if (i.state === 'left') {
        const leftAt = i.leftAt ?? 0
        if (!i.cancelled && !i.build) consider(leftAt + t.executableGapMs, 'start', i)
        consider(leftAt + t.leftItemTtlMs, 'forget', i)
      }
    }
    const f = this.#forgetFirst()
    if (f) {
      const when = f.leftAt! + t.leftItemTtlMs
      if (when < at || (when === at && this.#before(f, item!))) [at, kind, item] = [when, 'forget', f]
    }
    const b = this.#endFirst()
    if (b && b.endAt < at) {
      const build = b
      const job = b.job
      return {
        at: b.endAt,
        run: () => {
          build.endProcessed = true
          this.#end = undefined
          const blocked = this.items.find((x) => x.job === job && x.state === 'blocked')
          if (blocked && !this.#jobOccupied(job, build.endAt)) blocked.state = 'buildable'
        },
      }
    }
    if (kind === undefined) return undefined
    const i = item!
    const when = at
    switch (kind) {
      case 'wake':
        return {
          at,
          run: () => {
            i.buildableStart = i.due
            i.state = !i.job.def.concurrentBuild && this.#jobOccupied(i.job, i.due) ? 'blocked' : 'buildable'
          },
        }
      case 'take':
        return {
          at,
          run: () => {
            if (!i.job.def.concurrentBuild && this.#jobOccupied(i.job, when, i)) {
              i.state = 'blocked'
              return
            }
            i.state = 'left'
            i.leftAt = when
          },
        }
      case 'start':
        return {
          at,
          run: () => {
            const number = i.job.nextBuildNumber
            const scenario = this.scenarioFor(i.job, number, i.params)
            i.build = createBuild(i.job, i.id, i.params, i.causes, when, scenario)
            if (scenario.input) pauseAtInput(i.build, scenario.input)
            this.#settle(i)
            this.#started(i.build)
          },
        }
      case 'forget':
        return { at, run: () => this.#remove(i) }
    }
  }

  /** Replay every transition due up to `now`, in time order. */
  runUntil(now: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      const e = this.#nextEvent()
      if (!e || e.at > now) break
      this.#cursor = Math.max(this.#cursor, e.at)
      e.run()
    }
    this.#cursor = Math.max(this.#cursor, now)
  }

  #why(i: QueueItem, now: number): string | null {
    switch (i.state) {
      case 'waiting':
        return i.due > now ? `In the quiet period. Expires in ${timeSpanString(i.due - now)}` : 'Finished waiting'
      case 'blocked': {
        const running = this.#runningBuildOf(i.job, now)
        if (!running) return 'Waiting for next available executor'
        const est = estimatedDuration(i.job, now)
        const eta = est > 0 ? ` (ETA: ${timeSpanString(Math.max(0, est - (now - running.startedAt)))})` : ''
        return `Build #${running.number} is already in progress${eta}`
      }
      case 'buildable':
        return 'Waiting for next available executor'
      default:
        return null
    }
  }

  itemJson(i: QueueItem, now: number, root: string): Record<string, unknown> {
    const cls = { waiting: 'WaitingItem', blocked: 'BlockedItem', buildable: 'BuildableItem', left: 'LeftItem' }[
      i.state
    ]
    const actions: Record<string, unknown>[] = []
    if (i.params) actions.push(parametersAction(i.params))
    actions.push(causeAction(i.causes))
    const json: Record<string, unknown> = {
      _class: `hudson.model.Queue$${cls}`,
      actions,
      blocked: i.state === 'blocked',
      buildable: i.state === 'buildable',
      id: i.id,
      inQueueSince: i.inQueueSince,
      params: (i.params ?? []).map((p) => `\n${p.name}=${p.type === 'password' ? '****' : String(p.value)}`).join(''),
      stuck: false,
      task: { _class: WORKFLOW_JOB, name: i.job.name, url: itemUrl(root, i.job), color: colorOf(i.job, now) },
      url: `queue/item/${i.id}/`,
      why: this.#why(i, now),
    }
    if (i.state === 'waiting') json.timestamp = i.due
    if (i.state === 'blocked') json.buildableStartMilliseconds = i.buildableStart
    if (i.state === 'buildable') {
      json.buildableStartMilliseconds = i.buildableStart
      json.pending = false
    }
    if (i.state === 'left') {
      json.cancelled = i.cancelled
      json.executable = i.build ? buildRef(i.build, root) : null
    }
    return json
  }

  describe(i: QueueItem): string {
    return `${fullName(i.job)} #${i.id} ${JSON.stringify(paramsRecord(i.params))}`
  }
}

function isInside(job: Item, folder: Item): boolean {
  for (let p = job.parent; p; p = p.parent) if (p === folder) return true
  return false
}
