// The interface every git host implements; one folder per host.
import type { IncomingHttpHeaders } from 'node:http'
import type { Normalized, ProviderName, Repository } from '../events/model.js'
import { RepositoryMismatchError } from '../errors.js'
import type { SecretScope } from './signatures.js'

export interface IdentifiedDelivery {
  provider: ProviderName
  /** The host's event name (`push`, `Push Hook`, `repo:refs_changed`, …). */
  eventType: string
  /** The git host's own delivery id (its GUID), if it sends one; Tamer's id is given when it is stored. */
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
  return (repository: Repository) => ({
    provider,
    hostDeliveryId: delivery.hostDeliveryId,
    receivedAt: ctx.receivedAt,
    tenant: ctx.tenantOf(repository.fullName),
    repository,
  })
}

/** `signedBy`: where the secrets that signed the delivery are configured (see scopeAllows). */
export type Verification =
  { ok: true; signedBy: ReadonlySet<SecretScope> } | { ok: false; reason: string; unconfigured?: boolean }

export interface WebhookProvider {
  /** The route segment: /hooks/:route */
  readonly route: 'github' | 'gitlab' | 'bitbucket'
  /** True when some secret is configured; a provider without one refuses every delivery. */
  readonly configured: boolean
  /** Reads the headers; throws MissingHeaderError when a required one is absent. */
  identify(headers: IncomingHttpHeaders, raw: Buffer): IdentifiedDelivery
  /** The JSON payload from the raw body; throws MalformedBodyError. */
  decode(raw: Buffer, contentType: string): unknown
  /**
   * The one repository the delivery is about: it picks the secrets allowed to sign it, its
   * tenant, and is the repository of every event normalize makes. Throws
   * RepositoryMismatchError when the payload names two.
   */
  repositoryName(payload: unknown, delivery: IdentifiedDelivery): string | null
  /**
   * Checks the signature or token over the exact raw bytes against every configured secret
   * (provider-wide and per repository), in constant time, before anything parses the body.
   */
  verify(raw: Buffer, headers: IncomingHttpHeaders, now: Date): Promise<Verification>
  /** Whether secrets of `signedBy` may sign deliveries about `repository`. */
  accepts(signedBy: ReadonlySet<SecretScope>, repository: string | null): boolean
  /** Normalizes into the neutral model; throws BadPayloadError when required fields are missing. */
  normalize(payload: unknown, delivery: IdentifiedDelivery, ctx: NormalizeContext): Normalized
}

export function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name.toLowerCase()]
  const s = Array.isArray(v) ? v[0] : v
  return s === undefined || s.length === 0 ? null : s
}

/**
 * The repository a payload names, from the fields that each name it (`[path, name]`, the one
 * the events are built from first): the first present, and any other present must agree
 * (ignoring case, as the hosts do), else the payload is refused rather than one of them trusted.
 */
export function oneRepository(...named: [path: string, name: string | null][]): string | null {
  const present = named.filter((n): n is [string, string] => n[1] !== null)
  const first = present[0]
  if (!first) return null
  const other = present.find(([, name]) => name.toLowerCase() !== first[1].toLowerCase())
  if (other)
    throw new RepositoryMismatchError(
      `${first[0]} is ${first[1].slice(0, 200)} but ${other[0]} is ${other[1].slice(0, 200)}`,
    )
  return first[1]
}
