// GitHub: X-Hub-Signature-256 over the raw body; identity is hook id + delivery GUID.
import type { Config } from '../../config/schema.js'
import { MalformedBodyError, MissingHeaderError } from '../../errors.js'
import { header, type WebhookProvider } from '../provider.js'
import { decodeJsonBody, keyring, matchHubSignature, scopeAllows, scopesOf } from '../signatures.js'
import { githubRepositoryName, normalizeGitHub } from './normalize.js'

export function createGitHubProvider(config: Config['providers']['github']): WebhookProvider {
  const secrets = keyring(config.secrets, config.repositories, (r) => r.secrets)
  return {
    route: 'github',
    configured: secrets.length > 0,
    identify(headers) {
      const eventType = header(headers, 'x-github-event')
      if (!eventType) throw new MissingHeaderError('X-GitHub-Event')
      const guid = header(headers, 'x-github-delivery')
      if (!guid) throw new MissingHeaderError('X-GitHub-Delivery')
      // One GUID is shared by every hook subscribed to the event (repo hook + org hook),
      // so the hook id is part of the identity; a redelivery keeps both.
      const hookId = header(headers, 'x-github-hook-id') ?? '-'
      return { provider: 'github', eventType, hostDeliveryId: guid, dedupeKey: `${hookId}:${guid}` }
    },
    decode(raw, contentType) {
      if (contentType === 'application/x-www-form-urlencoded') {
        const payload = new URLSearchParams(raw.toString('utf8')).get('payload')
        if (payload === null) throw new MalformedBodyError('form body has no payload field')
        return decodeJsonBody(Buffer.from(payload, 'utf8'))
      }
      return decodeJsonBody(raw)
    },
    repositoryName: (payload) => githubRepositoryName(payload),
    async verify(raw, headers) {
      if (secrets.length === 0) return { ok: false, reason: 'no secret configured', unconfigured: true }
      const signature = header(headers, 'x-hub-signature-256')
      if (!signature)
        return {
          ok: false,
          reason: header(headers, 'x-hub-signature')
            ? 'X-Hub-Signature-256 is missing (SHA-1 signatures are not accepted)'
            : 'X-Hub-Signature-256 is missing',
        }
      if (!signature.startsWith('sha256=')) return { ok: false, reason: 'X-Hub-Signature-256 is not sha256=<hex>' }
      // HMAC-SHA256 over the raw bytes, as GitHub signs them (docs: validating-webhook-deliveries).
      const signedBy = scopesOf(
        secrets,
        matchHubSignature(
          raw,
          signature,
          secrets.map((k) => k.value),
        ),
      )
      return signedBy.size > 0 ? { ok: true, signedBy } : { ok: false, reason: 'X-Hub-Signature-256 does not match' }
    },
    accepts: (signedBy, repository) => scopeAllows(config.repositories, signedBy, repository),
    normalize: normalizeGitHub,
  }
}
