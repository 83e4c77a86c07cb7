// Where a notice's notebook diff summary comes from: the push's diff from the push-diff service
// (usually stored already, by precompute or a page view), as the summary of src/diffs/summary.ts
// in Markdown (chat) and plain text (a mail's text part). Any failure leaves it out of the notice
// rather than holding the notice back.
import type { PushDiffService } from '../diffs/service.js'
import type { PushEvent } from '../events/model.js'
import { renderPushSummaryMarkdown, renderPushSummaryText } from '../diffs/summary.js'
import type { BuildRecord } from '../store/builds.js'
import type { DeliveryStore } from '../store/store.js'

/** One summary in the two markups. */
export interface NotebookSummaryTexts {
  markdown: string
  text: string
}

export interface NotebookSummarySource {
  /** null when there is nothing to say (no push, no notebooks, git unavailable). */
  summary(build: BuildRecord, push: PushEvent | null): Promise<NotebookSummaryTexts | null>
}

export const noNotebookSummary: NotebookSummarySource = { summary: async () => null }

export function pushDiffSummary(
  deliveries: Pick<DeliveryStore, 'getDelivery'>,
  pushDiffs: PushDiffService,
  o: { timeoutMs?: number; budget?: number } = {},
): NotebookSummarySource {
  const summarize = async (build: BuildRecord, push: PushEvent): Promise<NotebookSummaryTexts | null> => {
    const delivery = await deliveries.getDelivery(build.deliveryId)
    if (!delivery) return null
    // A delivery can carry several pushes (system hooks): the build's is the one with its commit.
    const diff = (await pushDiffs.diffsOf(delivery)).find((d) => d.head === push.after && d.ref === push.ref)
    // A notebook too large to diff in time is news about notebooks too.
    const notebooks = diff?.files.some((f) => f.kind === 'notebook' || (f.kind === 'note' && f.reason === 'time-limit'))
    const options = { budget: o.budget ?? 2000 }
    return notebooks
      ? { markdown: renderPushSummaryMarkdown(diff!, options), text: renderPushSummaryText(diff!, options) }
      : null
  }
  return {
    async summary(build, push) {
      if (!push || push.deleted) return null
      let timer: NodeJS.Timeout | undefined
      // The diff goes on (and is stored) after a timeout; only this notice goes without it.
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), o.timeoutMs ?? 20_000)))
      try {
        return await Promise.race([summarize(build, push).catch(() => null), timeout])
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
