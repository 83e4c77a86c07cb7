// POST /hooks/:provider — thin: the raw body in, receiveDelivery, 202/200 out.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { UnsupportedMediaTypeError } from '../errors.js'
import { hostDeliveryIdFromHeaders } from '../intake/headers.js'
import { receiveDelivery, type IntakeDeps } from '../intake/receive.js'
import { plainLineLogger } from '../logging.js'
import type { WebhookProvider } from '../providers/provider.js'
import type { AdmitDelivery } from './rate-limit.js'
import { Accepted, errors } from './schemas.js'
import { WEBHOOK_BODIES } from './webhook-schemas.js'

export interface HooksPluginOptions {
  intake: IntakeDeps
  providers: WebhookProvider[]
  maxBodyBytes: number
  /** The per-tenant limit on accepted deliveries (rate-limit.ts); runs after verification, before storing. */
  admit?: AdmitDelivery | null
}

const header = (description: string) => ({ type: 'string', description })
/** The headers each host sends (README, "Webhook endpoints"); `required` as identify and verify need them. */
const HEADERS: Record<WebhookProvider['route'], { required: string[]; properties: Record<string, object> }> = {
  github: {
    required: ['x-github-event', 'x-github-delivery', 'x-hub-signature-256'],
    properties: {
      'x-github-event': header('the event (push, pull_request, ping, …)'),
      'x-github-delivery': header('the delivery GUID, shared by every hook of one event'),
      'x-github-hook-id': header("the hook's id; with the GUID, the delivery's identity"),
      'x-hub-signature-256': header('sha256=<HMAC-SHA256 of the body, hex>; SHA-1 alone is refused'),
    },
  },
  gitlab: {
    required: ['x-gitlab-event'],
    properties: {
      'x-gitlab-event': header('Push Hook, Tag Push Hook, Merge Request Hook, System Hook, …'),
      'x-gitlab-token': header('the shared secret token (or sign with webhook-signature)'),
      'idempotency-key': header("the delivery's identity, kept on resends (GitLab 17.4+)"),
      'webhook-id': header('Standard Webhooks: message id'),
      'webhook-timestamp': header('Standard Webhooks: seconds since the epoch, within ±5 min'),
      'webhook-signature': header('Standard Webhooks: v1,<base64 HMAC-SHA256 of id.timestamp.body>'),
      'x-gitlab-webhook-uuid': header('changes per attempt'),
    },
  },
  bitbucket: {
    required: ['x-event-key', 'x-hub-signature'],
    properties: {
      'x-event-key': header('repo:push, pullrequest:…, repo:refs_changed, pr:…, diagnostics:ping, …'),
      'x-hub-signature': header('<sha1|sha256|sha384|sha512>=<HMAC of the body, hex>'),
      'x-hook-uuid': header('Bitbucket Cloud: the hook'),
      'x-request-uuid': header('Bitbucket Cloud: the request'),
      'x-request-id': header('Bitbucket Server / Data Center: the delivery'),
    },
  },
}

export const hooksPlugin: FastifyPluginAsync<HooksPluginOptions> = async (app: FastifyInstance, opts) => {
  // Signatures cover the exact bytes, so bodies stay Buffers; only JSON and (GitHub) form bodies come in.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    ['application/json', 'application/x-www-form-urlencoded'],
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  )

  for (const provider of opts.providers) {
    const line = plainLineLogger(app.log, { provider: provider.route })
    app.post(
      `/hooks/${provider.route}`,
      {
        bodyLimit: opts.maxBodyBytes,
        schema: {
          summary: `A delivery from ${provider.route === 'bitbucket' ? 'Bitbucket Cloud or Server' : provider.route === 'github' ? 'GitHub' : 'GitLab'}`,
          tags: ['webhooks'],
          headers: { type: 'object', ...HEADERS[provider.route] },
          consumes:
            provider.route === 'github'
              ? ['application/json', 'application/x-www-form-urlencoded']
              : ['application/json'],
          body: {
            ...WEBHOOK_BODIES[provider.route],
            description:
              "the host's payload, exactly as signed (GitHub's form bodies carry it in `payload`); the fields Tamer reads",
          },
          response: { 200: Accepted, 202: Accepted, ...errors },
        },
        // Documented, not validated here: the body stays the raw bytes the signature covers, and
        // identify/verify refuse missing headers with their own codes (TAMER_MISSING_HEADER, 401).
        validatorCompiler: () => () => true,
      },
      async (request, reply) => {
        const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
        if (
          contentType !== 'application/json' &&
          !(provider.route === 'github' && contentType === 'application/x-www-form-urlencoded')
        )
          throw new UnsupportedMediaTypeError(contentType || '(none)')
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        const admit = opts.admit
        const result = await receiveDelivery(
          opts.intake,
          provider,
          { raw, headers: request.headers, contentType },
          admit ? (tenant) => admit(request, reply, tenant) : undefined,
        )
        // A ping needs no further work, so it is answered as done; everything else is queued.
        const statusCode = result.duplicate || result.status === 'ping' ? 200 : 202
        // The request's one line (app.ts turns Fastify's request logging off for deliveries), with the
        // bindings of request.log written as its fields: that child is made only for a refusal (app.ts).
        line.info(
          {
            reqId: request.id,
            hostDeliveryId: hostDeliveryIdFromHeaders(request.headers),
            deliveryId: result.id,
            event: result.eventType,
            outcome: result.duplicate ? 'duplicate' : result.status,
            statusCode,
          },
          result.duplicate ? 'duplicate delivery' : 'delivery stored',
        )
        if (result.duplicate) return reply.code(200).send({ id: result.id, duplicate: true })
        return reply.code(statusCode).send({ id: result.id })
      },
    )
  }
}
