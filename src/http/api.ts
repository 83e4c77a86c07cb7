// GET /api/deliveries[/:id] behind a bearer token.
import type { FastifyPluginAsync } from 'fastify'
import { DELIVERY_STATUSES, type DeliveryStatus, type DeliveryStore, type StoredDelivery } from '../store/store.js'
import type { ProviderName } from '../events/model.js'
import type { DispatchRecord } from '../store/builds.js'
import { IdParams, pageOf, requireBearer, visibleTo, type ApiTokens } from './auth.js'
import { bearer, DeliveryDetail, DeliverySummary, errors, Page } from './schemas.js'

export interface ApiPluginOptions {
  store: DeliveryStore
  tokens: ApiTokens
  /** How the pipeline routed a delivery. */
  dispatchOf: (deliveryId: string) => Promise<DispatchRecord | null>
}

export const ListQuery = {
  type: 'object',
  properties: {
    provider: { type: 'string', enum: ['github', 'gitlab', 'bitbucket-cloud', 'bitbucket-server'] },
    repository: { type: 'string', minLength: 1 },
    status: { type: 'string', enum: DELIVERY_STATUSES },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
} as const

interface ListQueryType {
  provider?: ProviderName
  repository?: string
  status?: DeliveryStatus
  limit: number
  cursor?: number
}

function summary(d: StoredDelivery) {
  return {
    id: d.id,
    provider: d.provider,
    eventType: d.eventType,
    hostDeliveryId: d.hostDeliveryId,
    tenant: d.tenant,
    repository: d.repository,
    status: d.status,
    kind: d.normalized.kind,
    receivedAt: d.receivedAt,
    updatedAt: d.updatedAt,
  }
}

export const apiPlugin: FastifyPluginAsync<ApiPluginOptions> = async (app, opts) => {
  app.addHook('onRequest', requireBearer(opts.tokens))

  app.get<{ Querystring: ListQueryType }>(
    '/api/deliveries',
    {
      schema: {
        summary: 'Deliveries, newest first',
        tags: ['api'],
        security: bearer,
        querystring: ListQuery,
        response: { 200: Page(DeliverySummary), ...errors },
      },
    },
    async (request) => {
      const q = request.query
      const items = await opts.store.listDeliveries({
        provider: q.provider,
        repository: q.repository,
        status: q.status,
        tenants: request.scope?.tenants,
        before: q.cursor,
        limit: q.limit + 1,
      })
      return pageOf(items, q.limit, summary)
    },
  )

  app.get<{ Params: { id: string } }>(
    '/api/deliveries/:id',
    {
      schema: {
        summary: 'One delivery: stored headers, normalized events, what the caps skipped',
        tags: ['api'],
        security: bearer,
        params: IdParams,
        response: { 200: DeliveryDetail, ...errors },
      },
    },
    async (request) => {
      const d = visibleTo(await opts.store.getDelivery(request.params.id), request.scope?.tenants, 'delivery')
      const dispatch = await opts.dispatchOf(d.id)
      // What the per-delivery caps left out: events at intake (or at routing), builds at routing.
      const skipped = {
        events: dispatch?.skipped?.events ?? (d.normalized.kind === 'events' ? (d.normalized.skipped ?? null) : null),
        builds: dispatch?.skipped?.builds ?? null,
      }
      return { ...summary(d), headers: d.headers, normalized: d.normalized, skipped }
    },
  )
}
