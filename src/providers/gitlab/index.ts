// GitLab: `X-Gitlab-Token` (shared token, sent in clear) and/or Standard-Webhooks
// signing tokens (`webhook-signature`). Identity: `Idempotency-Key`, kept on resends.
import type { Config } from '../../config/schema.js'
import { MissingHeaderError } from '../../errors.js'
import { header, type WebhookProvider } from '../provider.js'
import { matchToken } from '../../security/compare.js'
import {
  decodeJsonBody,
  keyring,
  matchStandardWebhook,
  scopeAllows,
  scopesOf,
  sha256Hex,
  type SecretScope,
} from '../signatures.js'
import { gitlabRepositoryName, normalizeGitLab } from './normalize.js'

export function createGitLabProvider(config: Config['providers']['gitlab']): WebhookProvider {
  const tokens = keyring(config.tokens, config.repositories, (r) => r.tokens)
  const signingTokens = keyring(config.signingTokens, config.repositories, (r) => r.signingTokens)
  return {
    route: 'gitlab',
    configured: tokens.length + signingTokens.length > 0,
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
    async verify(raw, headers, now) {
      if (tokens.length + signingTokens.length === 0)
        return { ok: false, reason: 'no token configured', unconfigured: true }
      // Either credential authenticates: a signing token's signature, or the shared token.
      const signedBy = new Set<SecretScope>()
      let reason: string | null = null
      const signature = header(headers, 'webhook-signature')
      if (signature && signingTokens.length > 0) {
        const id = header(headers, 'webhook-id')
        const timestamp = header(headers, 'webhook-timestamp')
        if (!id || !timestamp) reason = 'webhook-id and webhook-timestamp must come with webhook-signature'
        else {
          const r = matchStandardWebhook(
            raw,
            { id, timestamp, signature },
            signingTokens.map((k) => k.value),
            now,
            config.signatureToleranceSeconds,
          )
          if (r.ok) for (const s of scopesOf(signingTokens, r.matched)) signedBy.add(s)
          else reason = r.reason
        }
      }
      const token = header(headers, 'x-gitlab-token')
      if (token && tokens.length > 0) {
        const matched = scopesOf(
          tokens,
          matchToken(
            token,
            tokens.map((k) => k.value),
          ),
        )
        for (const s of matched) signedBy.add(s)
        if (matched.size === 0) reason ??= 'X-Gitlab-Token does not match'
      }
      if (signedBy.size > 0) return { ok: true, signedBy }
      return {
        ok: false,
        reason: reason ?? (signingTokens.length > 0 ? 'webhook-signature is missing' : 'X-Gitlab-Token is missing'),
      }
    },
    accepts: (signedBy, repository) => scopeAllows(config.repositories, signedBy, repository),
    normalize: normalizeGitLab,
  }
}
