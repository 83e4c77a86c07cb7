// The emulator never reads the wall clock directly: every state change is a
// function of `clock.now()`, so tests can jump over Jenkins' 5 s quiet period
// and the 5 min LeftItem lifetime without waiting.

export interface EmulatorClock {
  now(): number
}

export class ManualClock implements EmulatorClock {
  #now: number
  constructor(start = Date.UTC(2026, 10, 27, 12, 0, 0)) {
    this.#now = start
  }
  now(): number {
    return this.#now
  }
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`cannot move the clock by ${ms} ms`)
    this.#now += ms
    return this.#now
  }
  set(epochMs: number): void {
    if (epochMs < this.#now) throw new RangeError('the clock only moves forward')
    this.#now = epochMs
  }
}

export const realClock: EmulatorClock = { now: () => Date.now() }

/**
 * Real time that a test can stop at a chosen instant and let run on later from there: Jenkins'
 * state stands still meanwhile (a client restarting on a slow test machine then comes back, as far
 * as Jenkins can tell, as quickly as a production restart would). Its time lags the wall clock by
 * every stop.
 */
export class StallableClock implements EmulatorClock {
  #lag = 0
  #stopAt: number | null = null
  now(): number {
    const t = Date.now() - this.#lag
    return this.#stopAt === null ? t : Math.min(t, this.#stopAt)
  }
  /** Time stops when it reaches `at` (at once if it has). */
  stopAt(at: number): void {
    this.#stopAt = at
  }
  /** Time runs on from where it stopped. */
  resume(): void {
    if (this.#stopAt === null) return
    const t = Date.now() - this.#lag
    if (t > this.#stopAt) this.#lag += t - this.#stopAt
    this.#stopAt = null
  }
}

/** Jenkins' `Util.getTimeSpanString` ("4.6 sec", "1 min 2 sec", "1 hr 12 min"). */
export function timeSpanString(ms: number): string {
  const hours = Math.floor(ms / 3_600_000)
  if (hours > 0) return `${hours} hr ${Math.floor((ms % 3_600_000) / 60_000)} min`
  const minutes = Math.floor(ms / 60_000)
  if (minutes > 0) return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} sec`
  const seconds = ms / 1000
  if (seconds >= 10) return `${Math.floor(seconds)} sec`
  if (seconds >= 1) return `${(Math.floor(seconds * 10) / 10).toFixed(1).replace(/\.0$/, '')} sec`
  return `${Math.max(0, Math.floor(ms))} ms`
}
