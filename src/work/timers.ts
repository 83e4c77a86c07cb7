// Timers the background workers (pipeline, notifier) wait with: real ones unref'd so they never
// keep the process alive, manual ones for tests that drive the work with `drain()` and a clock.
export interface Timers {
  set(fn: () => void, ms: number): unknown
  clear(handle: unknown): void
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
}

/** Tests drive the pipeline with `drain()` and a manual clock; nothing waits for real. */
export const manualTimers: Timers = { set: () => null, clear: () => {} }
