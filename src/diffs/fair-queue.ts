// Waiting work shared fairly between tenants: round robin across tenants (the tenant served
// longest ago goes first), first in first out within one, and no tenant running more than
// `perKey` items at once. One tenant's pile of slow diffs then delays another tenant's diff by at
// most the items already running.

interface Tenant<T> {
  waiting: T[]
  running: number
  /** The turn this tenant was last served in; -1 never (since it was last idle). */
  lastTurn: number
  /** When it last started waiting: the order among tenants never served. */
  since: number
}

export class FairQueue<T> {
  private readonly tenants = new Map<string, Tenant<T>>()
  private turn = 0
  private arrivals = 0
  private count = 0

  private readonly perKey: number

  constructor(perKey = Infinity) {
    this.perKey = perKey
  }

  /** Items waiting (not running). */
  get size(): number {
    return this.count
  }

  push(key: string, item: T): void {
    let t = this.tenants.get(key)
    if (!t) this.tenants.set(key, (t = { waiting: [], running: 0, lastTurn: -1, since: 0 }))
    if (t.waiting.length === 0) t.since = ++this.arrivals
    t.waiting.push(item)
    this.count++
  }

  /**
   * The next item to run, counted as running for its key until `done(key)`: the oldest item of the
   * key served longest ago among those with work and under their cap. Null when none may run.
   */
  take(): { key: string; item: T } | null {
    let best: [string, Tenant<T>] | null = null
    for (const entry of this.tenants) {
      const t = entry[1]
      if (t.waiting.length === 0 || t.running >= this.perKey) continue
      if (!best || t.lastTurn < best[1].lastTurn || (t.lastTurn === best[1].lastTurn && t.since < best[1].since))
        best = entry
    }
    if (!best) return null
    const [key, t] = best
    t.running++
    t.lastTurn = ++this.turn
    this.count--
    return { key, item: t.waiting.shift()! }
  }

  /** One of `key`'s running items finished. */
  done(key: string): void {
    const t = this.tenants.get(key)
    if (!t) return
    t.running = Math.max(0, t.running - 1)
    this.forgetIfIdle(key, t)
  }

  /** Drops the oldest waiting item of the key with the most waiting (a flood pushes out its own work first). */
  dropFromLongest(): T | undefined {
    let longest: [string, Tenant<T>] | null = null
    for (const entry of this.tenants)
      if (!longest || entry[1].waiting.length > longest[1].waiting.length) longest = entry
    if (!longest || longest[1].waiting.length === 0) return undefined
    const item = longest[1].waiting.shift()
    this.count--
    this.forgetIfIdle(...longest)
    return item
  }

  /** Every waiting item, removed. */
  clear(): T[] {
    const all: T[] = []
    for (const [key, t] of this.tenants) {
      all.push(...t.waiting.splice(0))
      this.forgetIfIdle(key, t)
    }
    this.count = 0
    return all
  }

  private forgetIfIdle(key: string, t: Tenant<T>): void {
    if (t.running === 0 && t.waiting.length === 0) this.tenants.delete(key)
  }
}
