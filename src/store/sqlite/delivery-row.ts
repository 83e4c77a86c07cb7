// What crosses from the event loop to the writer thread for one delivery.
import type { NewDelivery } from '../store.js'

/**
 * A delivery as it crosses to the writer thread: headers and events already JSON, since
 * structured-cloning an object graph costs more than sending one string.
 */
export interface DeliveryRow extends Omit<NewDelivery, 'headers' | 'normalized'> {
  headers: string
  normalized: string
}

export function toDeliveryRow(d: NewDelivery): DeliveryRow {
  return { ...d, headers: JSON.stringify(d.headers), normalized: JSON.stringify(d.normalized) }
}

