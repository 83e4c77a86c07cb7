// One delivery: identify → verify over the raw bytes → normalize → commit to the store.
// Nothing is stored unless it verified; nothing is answered 2xx until it is stored.
import type { IncomingHttpHeaders } from 'node:http'
import { BadSignatureError, ProviderNotConfiguredError } from '../errors.js'
import type { WebhookProvider } from '../providers/provider.js'
import type { DeliveryStatus, DeliveryStore, RecordResult } from '../store/store.js'
import { storableHeaders } from './headers.js'

export interface IntakeDeps {
  store: DeliveryStore
  tenantOf(repository: string | null): string
  now(): Date
}

export interface IntakeRequest {
  raw: Buffer
  headers: IncomingHttpHeaders
  /** The media type without parameters, lower case. */
  contentType: string
}

export async function receiveDelivery(
  deps: IntakeDeps,
  provider: WebhookProvider,
  request: IntakeRequest,
): Promise<RecordResult & { hostDeliveryId: string | null; status: DeliveryStatus }> {
  const delivery = provider.identify(request.headers, request.raw)
  let payload: unknown
  let decodeError: unknown
  try {
    payload = provider.decode(request.raw, request.contentType)
  } catch (err) {
    decodeError = err
  }
  // Per-repository secrets need the repository name, so the JSON is parsed first, but
  // nothing from it is used or answered (not even "malformed") until the signature holds.
  const repository = decodeError === undefined ? provider.repositoryName(payload, delivery) : null
  const verification = await provider.verify(request.raw, request.headers, repository, deps.now())
  if (!verification.ok) {
    if (verification.unconfigured) throw new ProviderNotConfiguredError(provider.route)
    throw new BadSignatureError(verification.reason)
  }
  if (decodeError !== undefined) throw decodeError

  const receivedAt = deps.now().toISOString()
  const normalized = provider.normalize(payload, delivery, { tenantOf: deps.tenantOf, receivedAt })
  const status: DeliveryStatus =
    normalized.kind === 'events' ? 'pending' : normalized.kind === 'ping' ? 'ping' : 'ignored'
  const result = await deps.store.recordDelivery({
    provider: delivery.provider,
    dedupeKey: delivery.dedupeKey,
    hostDeliveryId: delivery.hostDeliveryId,
    eventType: delivery.eventType,
    tenant: deps.tenantOf(repository),
    repository,
    status,
    headers: storableHeaders(request.headers),
    body: request.raw,
    normalized,
    receivedAt,
  })
  return { ...result, hostDeliveryId: delivery.hostDeliveryId, status }
}
