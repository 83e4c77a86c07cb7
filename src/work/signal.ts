// A typed signal: one unit says something happened, the units that care subscribe in the
// composition root (src/compose/). A listener's failure is reported, never thrown at the emitter:
// the emitter has already done its work (a commit, a build's end) and must not be undone by a listener.
export interface Signal<A extends unknown[]> {
  /** Adds a listener; the function returned removes it. */
  on(listener: (...args: A) => void): () => void
  emit(...args: A): void
}

export function signal<A extends unknown[]>(onError: (err: unknown) => void = () => {}): Signal<A> {
  const listeners = new Set<(...args: A) => void>()
  return {
    on(listener) {
      const own = (...args: A) => listener(...args)
      listeners.add(own)
      return () => void listeners.delete(own)
    },
    emit(...args) {
      for (const l of [...listeners]) {
        try {
          l(...args)
        } catch (err) {
          onError(err)
        }
      }
    },
  }
}
