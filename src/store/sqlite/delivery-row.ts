// What crosses from the event loop to the writer thread for one delivery.
import { randomUUID } from 'node:crypto'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { cleanJson, withoutUrlCredentials } from '../../security/url-credentials.js'
import type { DeliverySummary, NewDelivery, StoredDelivery } from '../store.js'

/**
 * A new delivery's id: a UUID whose first 48 bits are the time in ms (RFC 9562 version 7; Node 22 has no
 * crypto.randomUUIDv7), the rest random as randomUUID's. Random ids put each insert into the id index (and the
 * plan's into dispatches') on a leaf of its own: at 50 deliveries a commit, ~2 more pages each to write to the
 * WAL and copy back at the checkpoint than ids that go where the last ones went (issue #12).
 * https://www.rfc-editor.org/rfc/rfc9562#name-uuid-version-7
 */
export function newDeliveryId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0')
  // randomUUID: xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; its variant bits (V) stand, the version becomes 7.
  return `${time.slice(0, 8)}-${time.slice(8)}-7${randomUUID().slice(15)}`
}

/**
 * A delivery as it crosses to the writer thread: headers and events already JSON, since
 * structured-cloning an object graph costs more than sending one string.
 */
export interface DeliveryRow extends Omit<NewDelivery, 'headers' | 'normalized'> {
  headers: string
  normalized: string
}

/**
 * URL credentials (`https://user:token@host`) are never stored: not in the events (here) or the body
 * (the writer thread runs redactBodyCredentials, off the event loop; headers are masked by intake).
 */
export function toDeliveryRow(d: NewDelivery): DeliveryRow {
  return {
    ...d,
    headers: JSON.stringify(d.headers),
    normalized: cleanJson(d.normalized),
  }
}

/**
 * What crosses to the SQLite writer thread: the events' JSON as UTF-8 bytes in an ArrayBuffer of their
 * own, transferred with the body instead of structured-cloned as a string. The clone copies a string
 * twice, into a serialization buffer grown as it goes and out again: ~4 ms per 1 MB push's events in
 * a batch of them, measured, against ~1 ms to encode them here (issue #12). The writer deflates the bytes.
 */
export interface WriterRow extends Omit<DeliveryRow, 'normalized'> {
  /** Chosen when it was queued, so work planned behind it can name it (the pipeline's early route). */
  id: string
  normalized: Uint8Array
}

export function toWriterRow(d: NewDelivery, id: string): WriterRow {
  const row = toDeliveryRow(d)
  // allocUnsafeSlow: never a slice of Node's shared pool, so always transferable.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(row.normalized))
  bytes.write(row.normalized)
  return { ...row, id, body: ownMemory(d.body), normalized: bytes }
}

/**
 * The body in an ArrayBuffer of its own, so that it is transferred to the writer thread, never cloned: a
 * body under Buffer.poolSize / 2 (32 KB on Node 24, 4 KB on Node 22) is a slice of Node's shared pool as
 * Fastify's Buffer.concat leaves it, and structured clone copies a view's whole ArrayBuffer, 64 KB per 6.8 KB
 * push on Node 24 (~28 µs of the event loop against ~1 µs for this copy, issue #12).
 */
function ownMemory(body: Buffer): Buffer {
  if (transferableBody(body)) return body
  const own = Buffer.allocUnsafeSlow(body.byteLength)
  body.copy(own)
  return own
}

/**
 * The body's memory, when it can cross to the writer thread without a copy: a Buffer that is the
 * whole of its own ArrayBuffer (toWriterRow gives every body one). Once posted it reads as empty on this
 * thread.
 * https://nodejs.org/api/worker_threads.html#portpostmessagevalue-transferlist
 */
export function transferableBody(body: Uint8Array): ArrayBuffer | null {
  const buffer = body.buffer
  return buffer instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === buffer.byteLength ? buffer : null
}

/** The events as stored: JSON, deflated (they are most of a push's size again; JSON shrinks ~5× at level 1). */
export function packEvents(json: string | Uint8Array): Buffer {
  return deflateRawSync(json, { level: 1 })
}

/**
 * A body as stored in delivery_bodies: deflated from 16 KB up. A 1 MB push is ~80 KB deflated at level
 * 1 (~2 ms of the writer thread), where its raw megabyte cost ~17 ms to write into the WAL, fsync and
 * copy again at the checkpoint: at 50 such pushes a second the writer and the disk were the limit
 * (issue #12). Smaller bodies are stored as they are: the per-call cost of deflate (~0.1 ms) would be
 * most of their write.
 */
export function packBody(body: Buffer): { deflated: 0 | 1; body: Buffer } {
  if (body.length < 16 * 1024) return { deflated: 0, body }
  const packed = deflateRawSync(body, { level: 1 })
  return packed.length < body.length ? { deflated: 1, body: packed } : { deflated: 0, body }
}

/** The bytes of a delivery_bodies row as received (URL credentials removed). */
export function unpackBody(row: { deflated: number; body: Buffer }): Buffer {
  return row.deflated ? inflateRawSync(row.body) : row.body
}

/** Rows written before events were deflated hold them as TEXT. */
export function unpackEvents(stored: string | Buffer): string {
  return typeof stored === 'string' ? stored : inflateRawSync(stored).toString('utf8')
}

/** A row of deliveries as both engines read it (the columns of DELIVERY_COLUMNS). */
export interface DeliveryRecordRow {
  seq: number
  id: string
  provider: string
  dedupe_key: string
  host_delivery_id: string | null
  event_type: string
  tenant: string
  repository: string | null
  status: string
  headers: string
  /** JSON, deflated (TEXT in rows written before: unpackEvents reads both). */
  normalized: string | Buffer
  received_at: string
  updated_at: string
}

/** A row of DELIVERY_SUMMARY_COLUMNS as a list shows it. */
export function toDeliverySummary(row: Omit<DeliveryRecordRow, 'headers' | 'normalized'>): DeliverySummary {
  return {
    seq: row.seq,
    id: row.id,
    provider: row.provider as DeliverySummary['provider'],
    dedupeKey: row.dedupe_key,
    hostDeliveryId: row.host_delivery_id,
    eventType: row.event_type,
    tenant: row.tenant,
    repository: row.repository,
    status: row.status as DeliverySummary['status'],
    receivedAt: row.received_at,
    updatedAt: row.updated_at,
  }
}

export function toDelivery(row: DeliveryRecordRow): StoredDelivery {
  return {
    seq: row.seq,
    id: row.id,
    provider: row.provider as StoredDelivery['provider'],
    dedupeKey: row.dedupe_key,
    hostDeliveryId: row.host_delivery_id,
    eventType: row.event_type,
    tenant: row.tenant,
    repository: row.repository,
    status: row.status as StoredDelivery['status'],
    headers: JSON.parse(row.headers),
    // Rows stored before URL credentials were removed at write time (TEXT) lose them on the way out;
    // deflated ones were written after (toDeliveryRow), so they skip that walk of every string.
    normalized:
      typeof row.normalized === 'string'
        ? withoutUrlCredentials(JSON.parse(row.normalized))
        : JSON.parse(unpackEvents(row.normalized)),
    receivedAt: row.received_at,
    updatedAt: row.updated_at,
  }
}
