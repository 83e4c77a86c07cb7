// One route for Bitbucket Cloud and Bitbucket Server/Data Center: both sign with
// `X-Hub-Signature: <alg>=<hex>`; their headers and event keys tell them apart.
import type { IncomingHttpHeaders } from 'node:http'
import type { Config } from '../config/schema.js'
import { MissingHeaderError } from '../errors.js'
import type { ProviderName } from '../events/model.js'
import { bitbucketCloudRepositoryName, normalizeBitbucketCloud } from './bitbucket-cloud/normalize.js'
import { bitbucketServerRepositoryName, normalizeBitbucketServer } from './bitbucket-server/normalize.js'
import { header, type WebhookProvider } from './provider.js'
import { decodeJsonBody, keyring, matchHubSignature, scopeAllows, scopesOf, sha256Hex } from './signatures.js'

const SERVER_EVENT = /^(repo:refs_changed|repo:modified|repo:forked|repo:comment:|pr:|diagnostics:|mirror:)/

export function whichBitbucket(headers: IncomingHttpHeaders, eventKey: string): ProviderName {
  if (header(headers, 'x-hook-uuid') || header(headers, 'x-request-uuid')) return 'bitbucket-cloud'
  if (header(headers, 'x-request-id') || header(headers, 'x-bitbucket-type') === 'server') return 'bitbucket-server'
  return SERVER_EVENT.test(eventKey) ? 'bitbucket-server' : 'bitbucket-cloud'
}

/** The "Post Webhooks for Bitbucket" add-on posts Cloud-shaped bodies from a Server. */
function isCloudShaped(eventKey: string): boolean {
  return eventKey === 'repo:push' || eventKey.startsWith('pullrequest:')
}

export function createBitbucketProvider(config: Config['providers']['bitbucket']): WebhookProvider {
  const secrets = keyring(config.secrets, config.repositories, (r) => r.secrets)
  return {
    route: 'bitbucket',
    configured: secrets.length > 0,
    identify(headers, raw) {
      const eventType = header(headers, 'x-event-key')
      if (!eventType) throw new MissingHeaderError('X-Event-Key')
      const provider = whichBitbucket(headers, eventType)
      if (provider === 'bitbucket-cloud') {
        // Cloud retries 5xx twice; whether X-Request-UUID survives a retry is undocumented,
        // but the body does, so the identity is the hook plus the body's hash.
        const hook = header(headers, 'x-hook-uuid') ?? '-'
        return {
          provider,
          eventType,
          hostDeliveryId: header(headers, 'x-request-uuid'),
          dedupeKey: `${hook}:sha256:${sha256Hex(raw)}`,
        }
      }
      const requestId = header(headers, 'x-request-id')
      return {
        provider,
        eventType,
        hostDeliveryId: requestId,
        dedupeKey: requestId ? `request:${requestId}` : `sha256:${sha256Hex(raw)}`,
      }
    },
    decode: (raw) => decodeJsonBody(raw),
    repositoryName: (payload, delivery) =>
      delivery.provider === 'bitbucket-server' && !isCloudShaped(delivery.eventType)
        ? bitbucketServerRepositoryName(payload)
        : bitbucketCloudRepositoryName(payload),
    async verify(raw, headers) {
      if (secrets.length === 0) return { ok: false, reason: 'no secret configured', unconfigured: true }
      const signature = header(headers, 'x-hub-signature')
      if (!signature) return { ok: false, reason: 'X-Hub-Signature is missing' }
      const signedBy = scopesOf(
        secrets,
        matchHubSignature(
          raw,
          signature,
          secrets.map((k) => k.value),
        ),
      )
      return signedBy.size > 0 ? { ok: true, signedBy } : { ok: false, reason: 'X-Hub-Signature does not match' }
    },
    accepts: (signedBy, repository) => scopeAllows(config.repositories, signedBy, repository),
    normalize(payload, delivery, ctx) {
      if (delivery.provider === 'bitbucket-cloud') return normalizeBitbucketCloud(payload, delivery, ctx)
      if (isCloudShaped(delivery.eventType)) return normalizeBitbucketCloud(payload, delivery, ctx, 'bitbucket-server')
      return normalizeBitbucketServer(payload, delivery, ctx)
    },
  }
}
