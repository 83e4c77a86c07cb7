// GET /api/deliveries[/:id] behind a bearer token; POST /api/deliveries/:id/replay (operate) runs one's pipeline again.
import type { FastifyPluginAsync } from 'fastify'
import {
  DELIVERY_STATUSES,
  kindOf,
  type DeliveryStatus,
  type DeliveryStore,
  type DeliverySummary as StoredSummary,
} from '../store/store.js'
import type { ProviderName } from '../events/model.js'
import type { DispatchRecord } from '../store/builds.js'
import { IdParams, pageOf, requireAccess, requireBearer, visibleTo, type ApiTokens } from './auth.js'
import { replayAudit, type ReplayAccepted, type ReplayRequest } from '../pipeline/replay.js'
import type { AuditEntry } from '../store/security.js'
import { bearer, DeliveryDetail, DeliverySummary, errors, Page } from './schemas.js'

export interface ApiPluginOptions {
  store: DeliveryStore
  tokens: ApiTokens
  /** How the pipeline routed a delivery. */
  dispatchOf: (deliveryId: string) => Promise<DispatchRecord | null>
  /** Stores a replay of a delivery (src/pipeline/replay.ts). */
  replay: (r: ReplayRequest) => Promise<ReplayAccepted>
  audit: (entry: AuditEntry) => Promise<void>
}

const ReplayAcceptedSchema = {
  type: 'object',
  properties: {
    deliveryId: { type: 'string', description: "the replay's id (a new delivery)" },
    replayOf: { type: 'string' },
    duplicate: { type: 'boolean', description: 'this Idempotency-Key made this replay before' },
    tenant: { type: 'string' },
  },
} as const

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

function summary(d: StoredSummary) {
  return {
    id: d.id,
    provider: d.provider,
    eventType: d.eventType,
    hostDeliveryId: d.hostDeliveryId,
    tenant: d.tenant,
    repository: d.repository,
    status: d.status,
    kind: kindOf(d.status),
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
      // Summaries: inflating and parsing 51 rows' events for their kind was most of a page's CPU (issue #12).
      const items = await opts.store.listDeliverySummaries({
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
      return { ...summary(d), kind: d.normalized.kind, headers: d.headers, normalized: d.normalized, skipped }
    },
  )
  app.post<{ Params: { id: string } }>(
    '/api/deliveries/:id/replay',
    {
      schema: {
        summary: "Run a delivery's pipeline again, as a new delivery (new builds, notices and statuses)",
        description:
          '`Idempotency-Key` makes a retried request the same replay. 409 TAMER_NOT_REPLAYABLE for a ping or an ignored delivery.',
        tags: ['api'],
        security: bearer,
        params: IdParams,
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: { 202: ReplayAcceptedSchema, ...errors },
      },
      preHandler: requireAccess('operate'),
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key']
      const actor = request.scope!.actor
      const accepted = await opts.replay({
        deliveryId: request.params.id,
        tenants: request.scope?.tenants,
        actor,
        ...(typeof key === 'string' ? { key: `api:${key}` } : {}),
      })
      if (!accepted.duplicate) await opts.audit(replayAudit(accepted, actor))
      return reply.code(202).send(accepted)
    },
  )
}
