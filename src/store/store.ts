// The one store interface. SQLite is the embedded default.
import type { Normalized, ProviderName } from '../events/model.js'

export const DELIVERY_STATUSES = ['pending', 'ping', 'ignored', 'processed', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/**
 * A delivery's kind, known from its status without reading its events: intake stores a ping as 'ping', what
 * Tamer does not act on as 'ignored' and events as 'pending' (receive.ts), and no write turns one into another.
 */
export function kindOf(status: DeliveryStatus): Normalized['kind'] {
  return status === 'ping' || status === 'ignored' ? status : 'events'
}

export interface NewDelivery {
  provider: ProviderName
  dedupeKey: string
  /** The git host's GUID of the delivery (X-GitHub-Delivery, …), if it sends one; not Tamer's id. */
  hostDeliveryId: string | null
  eventType: string
  tenant: string
  repository: string | null
  status: DeliveryStatus
  /** Headers with signatures, tokens and credentials already removed. */
  headers: Record<string, string>
  body: Buffer
  normalized: Normalized
  receivedAt: string
}

export interface StoredDelivery extends Omit<NewDelivery, 'body'> {
  /** Tamer's id of the delivery: what builds, push diffs and the API call deliveryId. */
  id: string
  seq: number
  updatedAt: string
}

/** A delivery as a list shows it: without its headers and events (the console's list reads no more). */
export type DeliverySummary = Omit<StoredDelivery, 'headers' | 'normalized'>

export interface RecordResult {
  id: string
  duplicate: boolean
}

export interface DeliveryQuery {
  provider?: ProviderName
  repository?: string
  status?: DeliveryStatus
  /** Restricts to these tenants (API tokens scoped to tenants). */
  tenants?: readonly string[]
  /** Only deliveries with seq below this (pages run newest first). */
  before?: number
  limit: number
}

export interface DeliveryStore {
  /**
   * Resolves once the delivery is durably committed, or found to be a duplicate. The body is the
   * store's from here: SQLite's writer thread takes its memory without a copy where it can.
   */
  recordDelivery(delivery: NewDelivery): Promise<RecordResult>
  /**
   * SQLite only: told of each delivery as it is queued for its commit, with the id it gets unless it turns out a
   * duplicate, so the pipeline can plan it into the same commit (a plan `ifStored`, issue #12). Returns the
   * unsubscribe.
   */
  onDeliveryQueued?(listener: (id: string, delivery: NewDelivery) => void): () => void
  getDelivery(id: string): Promise<StoredDelivery | null>
  /** The deliveries the host sent with this GUID (one per host, normally; `tamer rules test` looks them up). */
  deliveriesByHostId(hostDeliveryId: string): Promise<StoredDelivery[]>
  listDeliveries(query: DeliveryQuery): Promise<StoredDelivery[]>
  /**
   * listDeliveries without headers and events: the same rows, indexes and order, without inflating and
   * parsing each row's events (most of a page's time at 100k deliveries: bench/console.ts).
   */
  listDeliverySummaries(query: DeliveryQuery): Promise<DeliverySummary[]>
  /**
   * Throws when the store cannot take a write: a real commit, and (`minRoomBytes`) room left to
   * grow by that much. Failures that are the disk's or a lock's are StoreUnavailableError.
   */
  checkWritable(check?: { minRoomBytes?: number }): Promise<void>
  close(): Promise<void>
}
