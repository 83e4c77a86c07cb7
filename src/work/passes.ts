// One pass at a time over durable work (the pipeline's builds, the notifier's decisions):
// a request during a pass asks for exactly one more pass after it.
export interface SerialPasses {
  run(): Promise<number>
  /** The pass under way, if any. */
  current(): Promise<number> | null
}

export function serialPasses(
  pass: () => Promise<number>,
  onError: (err: unknown) => void,
  stopped: () => boolean,
): SerialPasses {
  let passing: Promise<number> | null = null
  let again = false
  const run = (): Promise<number> => {
    if (passing) {
      again = true
      return passing
    }
    passing = pass()
      .catch((err: unknown) => (onError(err), 0))
      .finally(() => {
        passing = null
        if (again && !stopped()) {
          again = false
          void run()
        }
      })
    return passing
  }
  return { run, current: () => passing }
}
