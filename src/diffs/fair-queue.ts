// Waiting work shared fairly between tenants: round-robin across tenants, first in first out
// within one, and no tenant running more than `perKey` items at once. One tenant's pile of slow
// diffs then delays another tenant's diff by at most the items already running.

export class FairQueue<T> {
  private readonly waiting = new Map<string, T[]>()
  private readonly running = new Map<string, number>()
  /** Keys with waiting items, in the order they are served; the head is served next. */
  private ring: string[] = []
  private count = 0

  constructor(private readonly perKey = Infinity) {}

  /** Items waiting (not running). */
  get size(): number {
    return this.count
  }

  push(key: string, item: T): void {
    const list = this.waiting.get(key)
    if (list) list.push(item)
    else {
      this.waiting.set(key, [item])
      this.ring.push(key)
    }
    this.count++
  }

  /**
   * The next item to run, counted as running for its key until `done(key)`: the first key in turn
   * that has work and is under its cap, which then goes to the back of the line. Null when none may run.
   */
  take(): { key: string; item: T } | null {
    for (let k = 0; k < this.ring.length; k++) {
      const key = this.ring[k]!
      const busy = this.running.get(key) ?? 0
      if (busy >= this.perKey) continue
      const list = this.waiting.get(key)!
      const item = list.shift()!
      this.count--
      this.running.set(key, busy + 1)
      this.ring.splice(k, 1)
      if (list.length > 0) this.ring.push(key)
      else this.waiting.delete(key)
      return { key, item }
    }
    return null
  }

  /** One of `key`'s running items finished. */
  done(key: string): void {
    const busy = (this.running.get(key) ?? 0) - 1
    if (busy > 0) this.running.set(key, busy)
    else this.running.delete(key)
  }

  /** Drops the oldest waiting item of the key with the most waiting (a flood pushes out its own work first). */
  dropFromLongest(): T | undefined {
    let longest: string | undefined
    for (const [key, list] of this.waiting) if (!longest || list.length > this.waiting.get(longest)!.length) longest = key
    if (longest === undefined) return undefined
    const list = this.waiting.get(longest)!
    const item = list.shift()
    this.count--
    if (list.length === 0) {
      this.waiting.delete(longest)
      this.ring = this.ring.filter((k) => k !== longest)
    }
    return item
  }

  /** Every waiting item, removed. */
  clear(): T[] {
    const all = [...this.waiting.values()].flat()
    this.waiting.clear()
    this.ring = []
    this.count = 0
    return all
  }
}
