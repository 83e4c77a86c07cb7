// Stored push diffs are a cache: rows older than diffs.storeDays are deleted, at start-up and
// every few hours, so the table stays bounded. A page asked for later is made again from git.
import type { PushDiffStore } from '../store/push-diffs.js'

export interface RetentionLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface PushDiffRetentionDeps {
  store: Pick<PushDiffStore, 'prunePushDiffs'>
  days: number
  logger: RetentionLogger
  now?: () => number
  /** How often to prune (default 6 hours). */
  everyMs?: number
}

export interface PushDiffRetention {
  /** One pass now; resolves to the rows deleted. */
  prune(): Promise<number>
  start(): void
  stop(): void
}

const DAY_MS = 24 * 60 * 60 * 1000

export function createPushDiffRetention(deps: PushDiffRetentionDeps): PushDiffRetention {
  const now = deps.now ?? Date.now
  let timer: NodeJS.Timeout | undefined
  const prune = async () => {
    const before = new Date(now() - deps.days * DAY_MS).toISOString()
    const deleted = await deps.store.prunePushDiffs(before)
    if (deleted > 0) deps.logger.info({ deleted, before }, 'stored push diffs past diffs.storeDays deleted')
    return deleted
  }
  const pass = () =>
    void prune().catch((err: Error) =>
      deps.logger.warn({ err: err.message }, 'pruning stored push diffs failed; will retry'),
    )
  return {
    prune,
    start() {
      if (timer || deps.days <= 0) return
      pass()
      timer = setInterval(pass, deps.everyMs ?? 6 * 60 * 60 * 1000)
      timer.unref()
    },
    stop() {
      clearInterval(timer)
      timer = undefined
    },
  }
}
