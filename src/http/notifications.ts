// GET /api/notifications (the outbox, dead letters first to look at) and
// POST /api/notifications/:id/resend (operate scope; in the audit log), behind the API's bearer
// tokens, tenant-scoped.
// Payloads are not shown: a mail body can quote a console log; the subject and state tell enough.
import type { FastifyPluginAsync } from 'fastify'
import { NotificationNotDeadError } from '../errors.js'
import type { Mask } from '../security/secrets.js'
import {
  NOTIFICATION_STATES,
  type NotificationRecord,
  type NotificationState,
  type NotificationStore,
} from '../store/notifications.js'
import type { AuditEntry } from '../store/security.js'
import { IdParams, pageOf, requireAccess, requireBearer, visibleTo, type ApiTokens } from './auth.js'
import { bearer, errors, NotificationSummary, Page } from './schemas.js'

export interface NotificationsPluginOptions {
  store: NotificationStore
  tokens: ApiTokens
  /** A send error quotes the peer's answer: masked again when shown. */
  mask: Mask
  /** The notifier's: a dead letter back to pending, woken now. */
  resend: (id: string) => Promise<NotificationRecord | null>
  /** Where operator actions are recorded. */
  audit: (entry: AuditEntry) => Promise<void>
}

export const ListQuery = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: NOTIFICATION_STATES },
    build: { type: 'string', minLength: 1, maxLength: 100 },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
} as const

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

function summary(n: NotificationRecord, mask: Mask) {
  return {
    id: n.id,
    buildId: n.buildId,
    tenant: n.tenant,
    repository: n.repository,
    branch: n.branch,
    channel: n.channel,
    kind: n.kind,
    outcome: n.outcome,
    subject: n.subject,
    recipients: n.recipients.length,
    state: n.state,
    attempts: n.attempts,
    nextAttemptAt: iso(n.nextAttemptAt),
    lastError: n.lastError === null ? null : mask(n.lastError),
    acceptedBy: n.acceptedBy,
    sentAt: n.sentAt,
    createdAt: n.createdAt,
    updatedAt: n.updatedAt,
  }
}

export const notificationsPlugin: FastifyPluginAsync<NotificationsPluginOptions> = async (app, opts) => {
  app.addHook('onRequest', requireBearer(opts.tokens))

  app.get<{ Querystring: { state?: NotificationState; build?: string; limit: number; cursor?: number } }>(
    '/api/notifications',
    {
      schema: {
        summary: 'Notices, newest first',
        tags: ['api'],
        security: bearer,
        querystring: ListQuery,
        response: { 200: Page(NotificationSummary), ...errors },
      },
    },
    async (request) => {
      const q = request.query
      const items = await opts.store.listNotifications({
        state: q.state,
        buildId: q.build,
        tenants: request.scope?.tenants,
        before: q.cursor,
        limit: q.limit + 1,
      })
      return pageOf(items, q.limit, (n) => summary(n, opts.mask))
    },
  )

  const visible = async (id: string, tenants: readonly string[] | undefined) =>
    visibleTo(await opts.store.getNotification(id), tenants, 'notification')

  app.get<{ Params: { id: string } }>(
    '/api/notifications/:id',
    {
      schema: {
        summary: 'One notice',
        tags: ['api'],
        security: bearer,
        params: IdParams,
        response: { 200: NotificationSummary, ...errors },
      },
    },
    async (request) => summary(await visible(request.params.id, request.scope?.tenants), opts.mask),
  )

  app.post<{ Params: { id: string } }>(
    '/api/notifications/:id/resend',
    {
      schema: {
        summary: 'Send a dead letter again (409 otherwise)',
        tags: ['api'],
        security: bearer,
        params: IdParams,
        response: { 202: NotificationSummary, ...errors },
      },
      preHandler: requireAccess('operate'),
    },
    async (request, reply) => {
      const n = await visible(request.params.id, request.scope?.tenants)
      const moved = await opts.resend(n.id)
      if (!moved) throw new NotificationNotDeadError(n.state)
      await opts.audit({
        actor: request.scope!.actor,
        action: 'notification.resend',
        target: n.id,
        tenant: n.tenant,
        detail: { channel: n.channel, subject: n.subject },
      })
      return reply.code(202).send(summary(moved, opts.mask))
    },
  )
}
