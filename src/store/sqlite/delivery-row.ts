// What crosses from the event loop to the writer thread for one delivery.
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { withoutUrlCredentials } from '../../security/url-credentials.js'
import type { NewDelivery } from '../store.js'

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
    normalized: JSON.stringify(withoutUrlCredentials(d.normalized)),
  }
}

/**
 * The body's memory, when it can cross to the writer thread without a copy: a Buffer that is the
 * whole of its own ArrayBuffer (what Fastify's Buffer.concat gives for bodies of 4 KB and more;
 * smaller ones share Node's pool and are copied). Once posted it reads as empty on this thread.
 * https://nodejs.org/api/worker_threads.html#portpostmessagevalue-transferlist
 */
export function transferableBody(body: Uint8Array): ArrayBuffer | null {
  const buffer = body.buffer
  return buffer instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === buffer.byteLength ? buffer : null
}

/** The events as stored: JSON, deflated (they are most of a push's size again; JSON shrinks ~5× at level 1). */
export function packEvents(json: string): Buffer {
  return deflateRawSync(json, { level: 1 })
}

/** Rows written before events were deflated hold them as TEXT. */
export function unpackEvents(stored: string | Buffer): string {
  return typeof stored === 'string' ? stored : inflateRawSync(stored).toString('utf8')
}
