// The push_diffs row and its mapping to a StoredPushDiff: one definition for both engines
// (sqlite/push-diff-reads.ts, postgres/reads.ts).
import type { StoredPushDiff } from './push-diffs.js'

export interface PushDiffRow {
  delivery_id: string
  variant: string
  payload: Buffer
  raw_bytes: number
  created_at: string
}

export const PUSH_DIFF_COLUMNS = 'delivery_id, variant, payload, raw_bytes, created_at'

export const toPushDiff = (r: PushDiffRow): StoredPushDiff => ({
  deliveryId: r.delivery_id,
  variant: r.variant,
  payload: r.payload,
  rawBytes: r.raw_bytes,
  createdAt: r.created_at,
})
