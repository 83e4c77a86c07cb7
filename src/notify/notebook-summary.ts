// Where a notice's notebook diff summary comes from. The git + diff engine source renders the
// push's Markdown summary (src/notebooks/render-markdown.ts); any failure leaves it out of the
// notice rather than holding the notice back.
import type { PushEvent } from '../events/model.js'
import { diffPush } from '../git/push-diff.js'
import type { MirrorCache } from '../git/mirror.js'
import type { DiffEngine } from '../nbdime/engine.js'
import { renderPushSummaryMarkdown } from '../notebooks/render-markdown.js'
import type { BuildRecord } from '../store/builds.js'

export interface NotebookSummarySource {
  /** Markdown, or null when there is nothing to say (no push, no notebooks, git unavailable). */
  summary(build: BuildRecord, push: PushEvent | null): Promise<string | null>
}

export const noNotebookSummary: NotebookSummarySource = { summary: async () => null }

export function pushDiffSummary(mirrors: MirrorCache, engine: DiffEngine, o: { timeoutMs?: number; budget?: number } = {}): NotebookSummarySource {
  return {
    async summary(_build, push) {
      const cloneUrl = push?.repository.cloneUrl.https ?? push?.repository.cloneUrl.ssh
      if (!push || !cloneUrl || push.deleted) return null
      const work = diffPush(mirrors, engine, {
        cloneUrl,
        repository: push.repository.fullName,
        ref: push.ref,
        before: push.before,
        after: push.after,
        defaultBranch: push.repository.defaultBranch,
      }).then((d) => (d.files.some((f) => f.kind === 'notebook') ? renderPushSummaryMarkdown(d, { budget: o.budget ?? 2000 }) : null))
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), o.timeoutMs ?? 20_000)))
      try {
        return await Promise.race([work.catch(() => null), timeout])
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
