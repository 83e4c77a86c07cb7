// A replay (issue #16): a stored delivery's pipeline run again on purpose. The replay is a new
// delivery holding the original's events, with its own id, so everything keyed by a delivery starts
// afresh (its builds' DELIVERY_ID, their notices and statuses): a new idempotency scope. It takes
// the durable path of any delivery (committed, then deliveryStored). The branch registry skips it
// (`replay`): an old push replayed must not move a branch's head back.
import { randomUUID } from 'node:crypto'
import { NotFoundError, NotReplayableError } from '../errors.js'
import type { AuditEntry } from '../store/security.js'
import type { DeliveryStore, NewDelivery } from '../store/store.js'

export interface ReplayDeps {
  store: Pick<DeliveryStore, 'getDelivery' | 'recordDelivery'>
  now(): number
  /** Told of the new delivery after its commit (the composition root's deliveryStored). */
  stored(deliveryId: string, delivery: NewDelivery): void
}

export interface ReplayRequest {
  /** Tamer's id of the delivery to replay. */
  deliveryId: string
  /** The caller's tenants (a scoped token); another tenant's delivery is not found. */
  tenants?: readonly string[]
  /** Who asked (the audit log's actor). */
  actor: string
  /** The same key is the same replay (a retried request); default: a new replay each time. */
  key?: string
}

export interface ReplayAccepted {
  deliveryId: string
  replayOf: string
  duplicate: boolean
  tenant: string
}

/** The audit log's entry of a replay (API and CLI). */
export function replayAudit(r: ReplayAccepted, actor: string): AuditEntry {
  return {
    actor,
    action: 'delivery.replay',
    target: r.replayOf,
    tenant: r.tenant,
    detail: { deliveryId: r.deliveryId },
  }
}

export async function replayDelivery(deps: ReplayDeps, r: ReplayRequest): Promise<ReplayAccepted> {
  const d = await deps.store.getDelivery(r.deliveryId)
  if (!d || (r.tenants && !r.tenants.includes(d.tenant))) throw new NotFoundError(`delivery ${r.deliveryId}`)
  if (d.normalized.kind !== 'events' || d.normalized.events.length === 0)
    throw new NotReplayableError(d.id, `it is ${d.status === 'ping' ? 'a ping' : d.status}, with no events to route`)
  const dedupeKey = `replay:${d.id}:${r.key ?? randomUUID()}`
  const replay: NewDelivery = {
    provider: d.provider,
    dedupeKey,
    hostDeliveryId: d.hostDeliveryId,
    eventType: d.eventType,
    tenant: d.tenant,
    repository: d.repository,
    status: 'pending',
    headers: { ...d.headers, 'x-tamer-replay-of': d.id },
    // The original's bytes stay with the original; the replay records what it is.
    body: Buffer.from(JSON.stringify({ replayOf: d.id, actor: r.actor })),
    normalized: {
      ...d.normalized,
      events: d.normalized.events.map((e) => ({ ...e, replay: { of: d.id, key: dedupeKey } })),
    },
    receivedAt: new Date(deps.now()).toISOString(),
  }
  const { id, duplicate } = await deps.store.recordDelivery(replay)
  if (!duplicate) deps.stored(id, replay)
  return { deliveryId: id, replayOf: d.id, duplicate, tenant: d.tenant }
}
