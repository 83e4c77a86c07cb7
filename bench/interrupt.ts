// A bench interrupted (Ctrl-C's SIGINT, a timeout's SIGTERM) stops what it started before it exits: Node's
// default for both signals ends the process at once, and bench:load's `tamer serve` children, its Jenkins
// emulator and its fresh database outlived it (issue #16). A second signal exits at once.
const cleanups = new Set<() => unknown>()
let hooked = false
let interrupted = false

/** The exit code a shell gives a process ended by the signal: 128 + its number. */
const CODES = { SIGINT: 130, SIGTERM: 143 } as const
/** How long the cleanups may take before the bench exits anyway (a child's stop waits up to 20 s). */
const BOUND_MS = 30_000

/** Runs `fn` if the bench is interrupted (the latest registered first); returns the call that unregisters it. */
export function onInterrupt(fn: () => unknown): () => void {
  exitOnInterrupt()
  cleanups.add(fn)
  return () => void cleanups.delete(fn)
}

/** Whether a signal is ending the bench (its flow's errors from then on are the cleanups' doing). */
export function isInterrupted(): boolean {
  return interrupted
}

/** SIGINT and SIGTERM run the cleanups, then exit (and so run the 'exit' hooks, bench/cpu-limit.ts's). */
export function exitOnInterrupt(): void {
  if (hooked) return
  hooked = true
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      interrupted = true
      console.error(`${signal}: stopping the bench's children`)
      setTimeout(() => process.exit(CODES[signal]), BOUND_MS).unref()
      void (async () => {
        for (const fn of [...cleanups].reverse())
          try {
            await fn()
          } catch (err) {
            console.error(err)
          }
      })().finally(() => process.exit(CODES[signal]))
    })
}
