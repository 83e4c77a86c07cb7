// What crosses from the event loop to the writer thread for one delivery.
import { redactBodyCredentials, withoutUrlCredentials } from '../../security/url-credentials.js'
import type { NewDelivery } from '../store.js'

/**
 * A delivery as it crosses to the writer thread: headers and events already JSON, since
 * structured-cloning an object graph costs more than sending one string.
 */
export interface DeliveryRow extends Omit<NewDelivery, 'headers' | 'normalized'> {
  headers: string
  normalized: string
}

/** URL credentials (`https://user:token@host`) are never stored: not in the body or events (headers are masked by intake). */
export function toDeliveryRow(d: NewDelivery): DeliveryRow {
  return {
    ...d,
    headers: JSON.stringify(d.headers),
    body: redactBodyCredentials(d.body),
    normalized: JSON.stringify(withoutUrlCredentials(d.normalized)),
  }
}
