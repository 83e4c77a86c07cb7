// GitLab: `X-Gitlab-Token` (shared token, sent in clear) and/or Standard-Webhooks
// signing tokens (`webhook-signature`). Identity: `Idempotency-Key`, kept on resends.
import type { Config } from '../../config/schema.js'
import { MissingHeaderError } from '../../errors.js'
import { header, type WebhookProvider } from '../provider.js'
import { decodeJsonBody, selectScoped, sha256Hex, tokenMatches, verifyStandardWebhook } from '../signatures.js'
import { gitlabRepositoryName, normalizeGitLab } from './normalize.js'

export function createGitLabProvider(config: Config['providers']['gitlab']): WebhookProvider {
  const credentialsFor = (repository: string | null) => {
    const scoped = selectScoped(config.repositories, repository)
    return scoped.length > 0
      ? { tokens: scoped.flatMap((r) => r.tokens), signingTokens: scoped.flatMap((r) => r.signingTokens) }
      : { tokens: config.tokens, signingTokens: config.signingTokens }
  }
  return {
    route: 'gitlab',
    configured:
      config.tokens.length + config.signingTokens.length > 0 ||
      config.repositories.some((r) => r.tokens.length + r.signingTokens.length > 0),
    identify(headers, raw) {
      const eventType = header(headers, 'x-gitlab-event')
      if (!eventType) throw new MissingHeaderError('X-Gitlab-Event')
      const idempotencyKey = header(headers, 'idempotency-key') ?? header(headers, 'webhook-id')
      // GitLab before ~17.4 sends no Idempotency-Key; X-Gitlab-Webhook-UUID changes per attempt,
      // so the content is the only stable identity then.
      return {
        provider: 'gitlab',
        eventType,
        hostDeliveryId: idempotencyKey ?? header(headers, 'x-gitlab-webhook-uuid'),
        dedupeKey: idempotencyKey ? `idempotency:${idempotencyKey}` : `sha256:${sha256Hex(raw)}`,
      }
    },
    decode: (raw) => decodeJsonBody(raw),
    repositoryName: (payload) => gitlabRepositoryName(payload),
    async verify(raw, headers, repository, now) {
      const { tokens, signingTokens } = credentialsFor(repository)
      if (tokens.length + signingTokens.length === 0) return { ok: false, reason: 'no token configured', unconfigured: true }
      const signature = header(headers, 'webhook-signature')
      if (signature && signingTokens.length > 0) {
        const id = header(headers, 'webhook-id')
        const timestamp = header(headers, 'webhook-timestamp')
        if (!id || !timestamp) return { ok: false, reason: 'webhook-id and webhook-timestamp must come with webhook-signature' }
        return verifyStandardWebhook(raw, { id, timestamp, signature }, signingTokens, now, config.signatureToleranceSeconds)
      }
      const token = header(headers, 'x-gitlab-token')
      if (token && tokens.length > 0)
        return tokenMatches(token, tokens) ? { ok: true } : { ok: false, reason: 'X-Gitlab-Token does not match' }
      return {
        ok: false,
        reason: signingTokens.length > 0 ? 'webhook-signature is missing' : 'X-Gitlab-Token is missing',
      }
    },
    normalize: normalizeGitLab,
  }
}
