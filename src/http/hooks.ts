// POST /hooks/:provider — thin: the raw body in, receiveDelivery, 202/200 out.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { UnsupportedMediaTypeError } from '../errors.js'
import { receiveDelivery, type IntakeDeps } from '../intake/receive.js'
import type { WebhookProvider } from '../providers/provider.js'
import type { DeliveryStore } from '../store/store.js'
import type { AdmitDelivery } from './rate-limit.js'

export interface HooksPluginOptions {
  intake: IntakeDeps
  providers: WebhookProvider[]
  maxBodyBytes: number
  /** The per-tenant limit on accepted deliveries (rate-limit.ts); runs after verification, before storing. */
  admit?: AdmitDelivery | null
}

/** The store, with a check of the verified delivery's tenant before each write. */
function admitting(store: DeliveryStore, admit: (tenant: string) => Promise<void>): DeliveryStore {
  return Object.create(store, {
    recordDelivery: { value: async (d: Parameters<DeliveryStore['recordDelivery']>[0]) => (await admit(d.tenant), store.recordDelivery(d)) },
  }) as DeliveryStore
}

const AcceptedSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, duplicate: { type: 'boolean' } },
  required: ['id'],
} as const

const ErrorSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
} as const

export const hooksPlugin: FastifyPluginAsync<HooksPluginOptions> = async (app: FastifyInstance, opts) => {
  // Signatures cover the exact bytes, so bodies stay Buffers; only JSON and (GitHub) form bodies come in.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    ['application/json', 'application/x-www-form-urlencoded'],
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  )

  for (const provider of opts.providers) {
    app.post(
      `/hooks/${provider.route}`,
      {
        bodyLimit: opts.maxBodyBytes,
        schema: {
          response: { 200: AcceptedSchema, 202: AcceptedSchema, '4xx': ErrorSchema },
        },
      },
      async (request, reply) => {
        const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
        if (contentType !== 'application/json' && !(provider.route === 'github' && contentType === 'application/x-www-form-urlencoded'))
          throw new UnsupportedMediaTypeError(contentType || '(none)')
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        const admit = opts.admit
        const intake = admit ? { ...opts.intake, store: admitting(opts.intake.store, (tenant) => admit(request, reply, tenant)) } : opts.intake
        const result = await receiveDelivery(intake, provider, { raw, headers: request.headers, contentType })
        request.log.info({ storedId: result.id, duplicate: result.duplicate }, result.duplicate ? 'duplicate delivery' : 'delivery stored')
        if (result.duplicate) return reply.code(200).send({ id: result.id, duplicate: true })
        // A ping needs no further work, so it is answered as done; everything else is queued.
        return reply.code(result.status === 'ping' ? 200 : 202).send({ id: result.id })
      },
    )
  }
}
