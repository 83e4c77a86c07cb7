// Push-diff writes, run on the writer thread inside its transactions (see writer.ts).
import type { Database } from 'better-sqlite3'

export type PushDiffWriteOp =
  | {
      op: 'diff-save'
      deliveryId: string
      variant: string
      /** Structured clone turns the Buffer into a plain Uint8Array. */
      payload: Uint8Array
      rawBytes: number
      at: string
    }
  | { op: 'diff-prune'; before: string }

/** diff-save: null; diff-prune: rows deleted. */
export type PushDiffWriteResult = null | number

export function isPushDiffWrite(op: { op: string }): op is PushDiffWriteOp {
  return op.op.startsWith('diff-')
}

export function createPushDiffWrites(db: Database): (op: PushDiffWriteOp) => PushDiffWriteResult {
  const upsert = db.prepare(
    `INSERT INTO push_diffs (delivery_id, variant, payload, raw_bytes, created_at)
     VALUES (@deliveryId, @variant, @payload, @rawBytes, @at)
     ON CONFLICT (delivery_id, variant) DO UPDATE SET payload = excluded.payload, raw_bytes = excluded.raw_bytes, created_at = excluded.created_at`,
  )
  const prune = db.prepare('DELETE FROM push_diffs WHERE created_at < ?')
  return (op) => {
    if (op.op === 'diff-prune') return prune.run(op.before).changes
    upsert.run({
      deliveryId: op.deliveryId,
      variant: op.variant,
      payload: Buffer.from(op.payload.buffer, op.payload.byteOffset, op.payload.byteLength),
      rawBytes: op.rawBytes,
      at: op.at,
    })
    return null
  }
}
