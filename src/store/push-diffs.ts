// The push-diff side of the store: a push's rendered diff, kept so a page, a notice or another
// replica never computes it twice. Interface only. The bytes are opaque here; their format
// (serialized, compressed) belongs to src/diffs/codec.ts.

export interface StoredPushDiff {
  deliveryId: string
  /**
   * What the diff was made with (engine, limits, format version): a row of another variant is
   * never read, so changing any of them reads as a miss instead of an old page.
   */
  variant: string
  /** The compressed serialized diffs of the delivery's pushes. */
  payload: Buffer
  /** Serialized size before compression. */
  rawBytes: number
  createdAt: string
}

export interface PushDiffStore {
  getPushDiff(deliveryId: string, variant: string): Promise<StoredPushDiff | null>
  /** Stores or replaces that delivery's row of that variant (replacing mends a row that no longer decodes). */
  savePushDiff(diff: Omit<StoredPushDiff, 'createdAt'>): Promise<void>
  /** Deletes rows stored before `before` (ISO time), of every variant; resolves to how many. */
  prunePushDiffs(before: string): Promise<number>
}
