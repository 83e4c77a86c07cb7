// The notebook diff of a build's commit, for the notebook-diff status and the PR comment: a push's
// own diff (diffs/service.ts, usually stored by precompute); for a pull request, the diff of the
// latest stored push of its head commit. Any failure leaves it out, never holding a post back.
import type { PushDiffService } from '../diffs/service.js'
import type { DeliveryStore } from '../store/store.js'
import type { NotebookDiffSource } from './reporter.js'

const notebooky = (d: { files: { kind: string; reason?: string }[] }) =>
  d.files.some((f) => f.kind === 'notebook' || (f.kind === 'note' && f.reason === 'time-limit'))

export function pushNotebookDiffs(
  store: Pick<DeliveryStore, 'getDelivery' | 'listDeliveries'>,
  pushDiffs: PushDiffService,
): NotebookDiffSource {
  return {
    async diffOf(build, event) {
      if (event.kind === 'push') {
        if (event.deleted) return null
        const delivery = await store.getDelivery(build.deliveryId)
        if (!delivery) return null
        const diff = (await pushDiffs.diffsOf(delivery)).find((d) => d.head === event.after && d.ref === event.ref)
        return diff && notebooky(diff) ? diff : null
      }
      const head = event.source.sha
      if (!head) return null
      const recent = await store.listDeliveries({ repository: event.repository.fullName, limit: 50 })
      for (const d of recent) {
        if (d.normalized.kind !== 'events') continue
        if (!d.normalized.events.some((e) => e.kind === 'push' && e.after === head)) continue
        const diff = (await pushDiffs.diffsOf(d)).find((x) => x.head === head)
        if (diff) return notebooky(diff) ? diff : null
      }
      return null
    },
  }
}
