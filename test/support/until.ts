// Waiting for a condition instead of sleeping a fixed time: a loaded machine fires timers late.

/** Polls `check` every 25 ms until it gives a truthy value, which it returns; throws after `ms`. */
export async function until<T>(what: string, check: () => T | Promise<T>, ms = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v) return v as NonNullable<T>
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
