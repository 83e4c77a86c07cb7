// Push-diff reads, on the main thread (WAL readers never wait for the writer).
import type { Database } from 'better-sqlite3'
import type { PushDiffStore, StoredPushDiff } from '../push-diffs.js'

interface Row {
  delivery_id: string
  variant: string
  payload: Buffer
  raw_bytes: number
  created_at: string
}

export function createPushDiffReads(db: Database): Pick<PushDiffStore, 'getPushDiff'> {
  const byKey = db.prepare(
    'SELECT delivery_id, variant, payload, raw_bytes, created_at FROM push_diffs WHERE delivery_id = ? AND variant = ?',
  )
  return {
    async getPushDiff(deliveryId, variant): Promise<StoredPushDiff | null> {
      const r = byKey.get(deliveryId, variant) as Row | undefined
      return r
        ? {
            deliveryId: r.delivery_id,
            variant: r.variant,
            payload: r.payload,
            rawBytes: r.raw_bytes,
            createdAt: r.created_at,
          }
        : null
    },
  }
}
