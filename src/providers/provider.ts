// The interface every git host implements; one folder per host.
import type { IncomingHttpHeaders } from 'node:http'
import type { Normalized, ProviderName, Repository } from '../events/model.js'

export interface IdentifiedDelivery {
  provider: ProviderName
  /** The host's event name (`push`, `Push Hook`, `repo:refs_changed`, …). */
  eventType: string
  /** The host's own delivery id, if it sends one. */
  hostDeliveryId: string | null
  /** What makes a redelivery of the same event recognisable (see each host's comment). */
  dedupeKey: string
}

export interface NormalizeContext {
  tenantOf(repositoryFullName: string): string
  receivedAt: string
}

/** The fields every event of a delivery shares; the tenant follows the event's repository. */
export function eventBase(provider: ProviderName, delivery: IdentifiedDelivery, ctx: NormalizeContext) {
  return (repository: Repository) => ({ provider, deliveryId: delivery.hostDeliveryId, receivedAt: ctx.receivedAt, tenant: ctx.tenantOf(repository.fullName), repository })
}

export type Verification = { ok: true } | { ok: false; reason: string; unconfigured?: boolean }

export interface WebhookProvider {
  /** The route segment: /hooks/:route */
  readonly route: 'github' | 'gitlab' | 'bitbucket'
  /** True when some secret is configured; a provider without one refuses every delivery. */
  readonly configured: boolean
  /** Reads the headers; throws MissingHeaderError when a required one is absent. */
  identify(headers: IncomingHttpHeaders, raw: Buffer): IdentifiedDelivery
  /** The JSON payload from the raw body; throws MalformedBodyError. */
  decode(raw: Buffer, contentType: string): unknown
  /** The repository named in the payload, used to pick per-repository secrets. */
  repositoryName(payload: unknown, delivery: IdentifiedDelivery): string | null
  /** Checks the signature or token over the exact raw bytes, in constant time. */
  verify(raw: Buffer, headers: IncomingHttpHeaders, repository: string | null, now: Date): Promise<Verification>
  /** Normalizes into the neutral model; throws BadPayloadError when required fields are missing. */
  normalize(payload: unknown, delivery: IdentifiedDelivery, ctx: NormalizeContext): Normalized
}

export function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name.toLowerCase()]
  const s = Array.isArray(v) ? v[0] : v
  return s === undefined || s.length === 0 ? null : s
}
