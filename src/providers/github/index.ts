// GitHub: X-Hub-Signature-256 over the raw body; identity is hook id + delivery GUID.
import { verify as verifyGitHubSignature256 } from '@octokit/webhooks-methods'
import type { Config } from '../../config/schema.js'
import { MalformedBodyError, MissingHeaderError } from '../../errors.js'
import { header, type WebhookProvider } from '../provider.js'
import { decodeJsonBody, selectScoped, verifyHubSignature } from '../signatures.js'
import { githubRepositoryName, normalizeGitHub } from './normalize.js'

export function createGitHubProvider(config: Config['providers']['github']): WebhookProvider {
  const secretsFor = (repository: string | null): string[] => {
    const scoped = selectScoped(config.repositories, repository)
    return scoped.length > 0 ? scoped.flatMap((r) => r.secrets) : config.secrets
  }
  return {
    route: 'github',
    configured: config.secrets.length > 0 || config.repositories.some((r) => r.secrets.length > 0),
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
    async verify(raw, headers, repository) {
      const secrets = secretsFor(repository)
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
      const body = raw.toString('utf8')
      let ok = false
      // @octokit/webhooks-methods refuses an empty payload; the same HMAC is checked by hand then.
      for (const secret of secrets)
        if (body.length === 0 ? verifyHubSignature(raw, signature, [secret]) : await verifyGitHubSignature256(secret, body, signature))
          ok = true
      return ok ? { ok: true } : { ok: false, reason: 'X-Hub-Signature-256 does not match' }
    },
    normalize: normalizeGitHub,
  }
}
