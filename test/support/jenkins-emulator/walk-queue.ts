// The Jenkins emulator's queue as it was before its transitions were indexed (issue #12): one walk over every item
// and every build per transition. test/jenkins/emulator-queue.test.ts drives it and the indexed queue
// (src/demo/jenkins-emulator/queue.ts) through the same random histories and compares them step by step.
import { createBuild, isBuilding } from '../../../src/demo/jenkins-emulator/builds.js'
import { pauseAtInput } from '../../../src/demo/jenkins-emulator/input.js'
import type { QueueTiming } from '../../../src/demo/jenkins-emulator/queue.js'
import type { BuildScenario, Cause, Item, ParamValue, QueueItem } from '../../../src/demo/jenkins-emulator/types.js'

type Event = { at: number; run: () => void }

const paramKey = (params: ParamValue[] | null) =>
  params
    ? params
        .map((p) => `${p.name}=${String(p.value)}`)
        .sort()
        .join('\n')
    : ''

export class WalkQueue {
  readonly items: QueueItem[] = []
  nextId = 1
  #cursor: number

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
    // Pending and left items are not candidates ("Do not include pendings").
    const existing = this.items.find((i) => i.job === job && i.state !== 'left' && paramKey(i.params) === key)
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
    return { item, merged: false }
  }

  get(id: number, now: number): QueueItem | undefined {
    this.runUntil(now)
    return this.items.find((i) => i.id === id)
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
    return true
  }

  /** Forget everything about a job (it was deleted). */
  dropJob(job: Item, now: number): void {
    for (const i of this.active(now)) if (i.job === job || isInside(i.job, job)) this.cancel(i.id, now)
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

  /**
   * The earliest due transition. Only the winner gets a closure: this runs on every request
   * over every item, and the queue can hold thousands.
   */
  #nextEvent(): Event | undefined {
    const t = this.timing
    type Kind = 'wake' | 'take' | 'start' | 'forget' | 'end'
    let best: { at: number; kind: Kind; item?: QueueItem; build?: Item['builds'][number]; job?: Item } | undefined
    const consider = (at: number, kind: Kind, item?: QueueItem, build?: Item['builds'][number], job?: Item) => {
      if (!best || at < best.at) best = { at, kind, item, build, job }
    }
    // One count per pass, not one per buildable item.
    let busy: number | undefined
    for (const i of this.items) {
      if (i.state === 'waiting') consider(i.due, 'wake', i)
      else if (i.state === 'buildable' && (busy ??= this.#busy(this.#cursor)) < t.executors)
        consider(Math.max(this.#cursor, (i.buildableStart ?? i.due) + t.buildableMs), 'take', i)
      else if (i.state === 'left') {
        const leftAt = i.leftAt ?? 0
        if (!i.cancelled && !i.build) consider(leftAt + t.executableGapMs, 'start', i)
        consider(leftAt + t.leftItemTtlMs, 'forget', i)
      }
    }
    for (const job of new Set(this.items.map((i) => i.job)))
      for (const b of job.builds)
        if (!b.endProcessed && Number.isFinite(b.endAt)) consider(b.endAt, 'end', undefined, b, job)
    if (!best) return undefined
    const { at, kind, item, build, job } = best as {
      at: number
      kind: Kind
      item?: QueueItem
      build?: Item['builds'][number]
      job?: Item
    }
    const i = item!
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
            if (!i.job.def.concurrentBuild && this.#jobOccupied(i.job, at, i)) {
              i.state = 'blocked'
              return
            }
            i.state = 'left'
            i.leftAt = at
          },
        }
      case 'start':
        return {
          at,
          run: () => {
            const number = i.job.nextBuildNumber
            const scenario = this.scenarioFor(i.job, number, i.params)
            i.build = createBuild(i.job, i.id, i.params, i.causes, at, scenario)
            if (scenario.input) pauseAtInput(i.build, scenario.input)
          },
        }
      case 'forget':
        return { at, run: () => this.items.splice(this.items.indexOf(i), 1) }
      case 'end':
        return {
          at,
          run: () => {
            build!.endProcessed = true
            const blocked = this.items.find((x) => x.job === job && x.state === 'blocked')
            if (blocked && !this.#jobOccupied(job!, build!.endAt)) blocked.state = 'buildable'
          },
        }
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

  /** control.restart */
  forgetLeft(): void {
    for (const i of [...this.items]) if (i.state === 'left') this.items.splice(this.items.indexOf(i), 1)
  }
}

function isInside(job: Item, folder: Item): boolean {
  for (let p = job.parent; p; p = p.parent) if (p === folder) return true
  return false
}
