// Push-diff reads, on the main thread (WAL readers never wait for the writer).
import type { Database } from 'better-sqlite3'
import { PUSH_DIFF_COLUMNS, toPushDiff, type PushDiffRow } from '../push-diff-rows.js'
import type { PushDiffStore, StoredPushDiff } from '../push-diffs.js'

export function createPushDiffReads(db: Database): Pick<PushDiffStore, 'getPushDiff'> {
  const byKey = db.prepare(`SELECT ${PUSH_DIFF_COLUMNS} FROM push_diffs WHERE delivery_id = ? AND variant = ?`)
  return {
    async getPushDiff(deliveryId, variant): Promise<StoredPushDiff | null> {
      const r = byKey.get(deliveryId, variant) as PushDiffRow | undefined
      return r ? toPushDiff(r) : null
    },
  }
}
