// One delivery: identify → verify over the raw bytes → parse → decide the repository → check the
// secret may sign for it → normalize → cap → admit (rate limit) → commit to the store → onStored. Nothing is stored
// unless it verified;
// nothing is answered 2xx until it is stored.
import type { IncomingHttpHeaders } from 'node:http'
import { BadSignatureError, ProviderNotConfiguredError, RepositoryMismatchError } from '../errors.js'
import type { WebhookProvider } from '../providers/provider.js'
import { capEvents } from '../events/limits.js'
import { compactEvents } from '../events/compact.js'
import type { DeliveryStatus, DeliveryStore, NewDelivery, RecordResult } from '../store/store.js'
import { storableHeaders } from './headers.js'

export interface IntakeDeps {
  store: DeliveryStore
  tenantOf(repository: string | null): string
  now(): Date
  /** Events beyond this are not stored for routing, and the skip is recorded (pipeline.maxEventsPerDelivery). */
  maxEvents: number
  /** Told of each newly stored delivery, after its commit (not of duplicates). */
  onStored?(id: string, delivery: NewDelivery): void
  /** Told of each commit, duplicates too, with the time recordDelivery took (for /metrics). */
  recorded?(delivery: NewDelivery, duplicate: boolean, commitSeconds: number): void
}

export interface IntakeRequest {
  raw: Buffer
  headers: IncomingHttpHeaders
  /** The media type without parameters, lower case. */
  contentType: string
}

/** Bodies from this size up are told of with their events compacted (events/compact.ts). */
const COMPACT_FROM_BYTES = 64 * 1024

type Received = RecordResult & { hostDeliveryId: string | null; eventType: string; status: DeliveryStatus }

export async function receiveDelivery(
  deps: IntakeDeps,
  provider: WebhookProvider,
  request: IntakeRequest,
  /** Refuses (throws) a verified delivery of `tenant` before it is stored, e.g. a per-tenant rate limit. */
  admit?: (tenant: string) => Promise<void>,
): Promise<Received> {
  // Queued in a function of its own, whose frame (the parsed payload, the full events) ends before the commit
  // wait: an async function keeps its locals until it returns (issue #12, the 1 MB tail).
  const { recorded, told, answer } = await queueDelivery(deps, provider, request, admit)
  const started = performance.now()
  const result = await recorded
  deps.recorded?.(told, result.duplicate, (performance.now() - started) / 1000)
  if (!result.duplicate) deps.onStored?.(result.id, told)
  return { ...result, ...answer }
}

async function queueDelivery(
  deps: IntakeDeps,
  provider: WebhookProvider,
  request: IntakeRequest,
  admit?: (tenant: string) => Promise<void>,
): Promise<{ recorded: Promise<RecordResult>; told: NewDelivery; answer: Omit<Received, keyof RecordResult> }> {
  const delivery = provider.identify(request.headers, request.raw)
  // Every configured secret is tried over the raw bytes before the body is parsed, so an
  // unauthenticated request costs an HMAC per secret and nothing more (issue #9, item 4).
  const verification = await provider.verify(request.raw, request.headers, deps.now())
  if (!verification.ok) {
    if (verification.unconfigured) throw new ProviderNotConfiguredError(provider.route)
    throw new BadSignatureError(verification.reason)
  }
  const payload = provider.decode(request.raw, request.contentType)
  // One name decides the secrets allowed, the tenant and the events' repository (item 1).
  const repository = provider.repositoryName(payload, delivery)
  if (!provider.accepts(verification.signedBy, repository))
    throw new BadSignatureError(
      repository === null
        ? 'signed with a repository secret, but the payload names no repository'
        : `the signing secret is not one configured for ${repository.slice(0, 200)}`,
    )

  const receivedAt = deps.now().toISOString()
  const all = provider.normalize(payload, delivery, { tenantOf: deps.tenantOf, receivedAt })
  if (all.kind === 'events')
    for (const event of all.events)
      if (event.repository.fullName !== repository)
        throw new RepositoryMismatchError(
          `the delivery is about ${repository ?? 'no repository'} but an event is about ${event.repository.fullName.slice(0, 200)}`,
        )
  const normalized = capEvents(all, deps.maxEvents)
  const status: DeliveryStatus =
    normalized.kind === 'events' ? 'pending' : normalized.kind === 'ping' ? 'ping' : 'ignored'
  const tenant = deps.tenantOf(repository)
  await admit?.(tenant)
  const stored: NewDelivery = {
    provider: delivery.provider,
    dedupeKey: delivery.dedupeKey,
    hostDeliveryId: delivery.hostDeliveryId,
    eventType: delivery.eventType,
    tenant,
    repository,
    status,
    headers: storableHeaders(request.headers),
    body: request.raw,
    normalized,
    receivedAt,
  }
  const size = request.raw.length
  const recorded = deps.store.recordDelivery(stored)
  // Its listeners after the commit get a large delivery's events without their commit lists; a small one's are
  // kept whole (their copy and its walk cost more than the scavenges they would save). The body is the writer's.
  const told = {
    ...stored,
    body: Buffer.alloc(0),
    normalized: size >= COMPACT_FROM_BYTES ? compactEvents(normalized) : normalized,
  }
  return { recorded, told, answer: { hostDeliveryId: delivery.hostDeliveryId, eventType: delivery.eventType, status } }
}
