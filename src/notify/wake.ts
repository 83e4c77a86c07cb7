// The pipeline writes a build's end through the store; this wrapper wakes the notifier right
// then, so a notice does not wait for the notifier's next scan. (The scan still finds every
// finished build: a missed wake delays a notice, it never loses one.)
import type { TamerStore } from '../store/builds.js'

export function wakeOnFinish<S extends TamerStore>(store: S, wake: () => void): S {
  return {
    ...store,
    async updateBuild(id, patch) {
      await store.updateBuild(id, patch)
      if (patch.state === 'finished') wake()
    },
  }
}
