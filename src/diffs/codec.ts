// How a delivery's push diffs are kept in the store: JSON, then brotli. The JSON carries
// everything the page needs, base notebooks included; FORMAT goes into the stored variant, so
// changing this shape (or what diffPush puts in it) means bumping it and old rows are ignored.
import { promisify } from 'node:util'
import { brotliCompress, brotliDecompress, constants } from 'node:zlib'
import { StoredDiffFormatError } from '../errors.js'
import type { PushDiff } from './model.js'

/** 2: notebooks carry `degraded`, and notes may be `time-limit` (kept, not retried). */
export const PUSH_DIFF_FORMAT = 2

const compress = promisify(brotliCompress)
const decompress = promisify(brotliDecompress)

/**
 * The serialized diffs, or null when they cannot be one string at all (V8 caps strings near
 * 512 MB: 300 notebooks of 20 MB each would be over it). Such diffs are simply never stored.
 */
export function serializePushDiffs(pushes: readonly PushDiff[]): Buffer | null {
  try {
    return Buffer.from(JSON.stringify({ format: PUSH_DIFF_FORMAT, pushes }), 'utf8')
  } catch (err) {
    if (err instanceof RangeError) return null
    throw err
  }
}

/** Quality 5: most of brotli's gain on JSON for a fraction of the default 11's time. */
export function compressPushDiffs(serialized: Buffer): Promise<Buffer> {
  return compress(serialized, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: serialized.length },
  })
}

export async function decodePushDiffs(payload: Buffer): Promise<PushDiff[]> {
  const value = JSON.parse((await decompress(payload)).toString('utf8')) as { format?: unknown; pushes?: unknown }
  if (value.format !== PUSH_DIFF_FORMAT || !Array.isArray(value.pushes))
    throw new StoredDiffFormatError(String(value.format), PUSH_DIFF_FORMAT)
  return value.pushes as PushDiff[]
}
