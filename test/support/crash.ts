// In-process crashes of the pipeline at the two moments that leave a trigger uncertain: the
// store wrapper stops every write from that moment on, as a killed process would.
import type { ServiceStore } from '../../src/store/service-store.js'

export interface Crash {
  wrap(s: ServiceStore): ServiceStore
  /** resolves when the process "died" */
  dead: Promise<void>
}

function crashWhen(when: 'after-accept' | 'after-intent'): Crash {
  let died!: () => void
  const dead = new Promise<void>((r) => (died = r))
  let isDead = false
  return {
    dead,
    wrap: (s) => ({
      ...s,
      // A dead process reads nothing and starts nothing either.
      pendingDeliveries: async (limit) => (isDead ? [] : s.pendingDeliveries(limit)),
      dueBuilds: async (now, limit) => (isDead ? { due: [], nextAt: null } : s.dueBuilds(now, limit)),
      getBuild: async (id) => (isDead ? null : s.getBuild(id)),
      getBuilds: async (ids) => (isDead ? [] : s.getBuilds(ids)),
      async planDelivery(plan) {
        if (isDead) throw new Error('killed')
        const builds = await s.planDelivery(plan)
        // after-intent: the intent committed with the plan (src/pipeline/index.ts), the request never leaves.
        if (when === 'after-intent' && builds.some((b) => b.state === 'triggering')) {
          isDead = true
          died()
          throw new Error('killed between intent and request')
        }
        return builds
      },
      async updateBuild(id, patch) {
        if (isDead) throw new Error('killed')
        // after-accept: Jenkins answered, the write that records the queue item never happens.
        if (when === 'after-accept' && patch.state === 'queued') {
          isDead = true
          died()
          throw new Error('killed between accept and record')
        }
        await s.updateBuild(id, patch)
        // after-intent: the intent is durable, the request never leaves.
        if (when === 'after-intent' && patch.state === 'triggering') {
          isDead = true
          died()
          throw new Error('killed between intent and request')
        }
      },
    }),
  }
}

/** Dies right after Jenkins accepted buildWithParameters, before recording its queue item. */
export const dieAfterAccept = () => crashWhen('after-accept')

/** Dies right after recording the intent, before buildWithParameters is sent. */
export const dieAfterIntent = () => crashWhen('after-intent')
