// Token management and the audit log over the API, for admin-scoped tokens:
//   GET /api/audit, GET /api/tokens, POST /api/tokens, DELETE /api/tokens/:id.
// An admin token limited to tenants sees and manages only what belongs to those tenants.
import type { FastifyPluginAsync } from 'fastify'
import { checkTokenRequest, createToken, describeToken, revokeToken, tokenWithin } from '../access/tokens.js'
import { NotFoundError } from '../errors.js'
import type { AccessLevel, AuditRecord, SecurityStore } from '../store/security.js'
import { IdParams, pageOf, requireAccess, requireBearer, type ApiTokens } from './auth.js'
import { ApiToken, AuditEntry, bearer, errors, Page } from './schemas.js'

export interface AccessPluginOptions {
  store: SecurityStore
  tokens: ApiTokens
  /** Tenant names a token may be limited to. */
  tenants: readonly string[]
}

export const AuditQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
} as const

const TokenBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    scope: { type: 'string', enum: ['read', 'operate', 'admin'], default: 'read' },
    tenants: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 100 }, minItems: 1, maxItems: 100 },
  },
  required: ['name'],
  additionalProperties: false,
} as const

const auditView = (e: AuditRecord) => ({
  id: e.id,
  at: e.at,
  actor: e.actor,
  action: e.action,
  target: e.target,
  tenant: e.tenant,
  detail: e.detail,
})

export const accessPlugin: FastifyPluginAsync<AccessPluginOptions> = async (app, opts) => {
  app.addHook('onRequest', requireBearer(opts.tokens))
  app.addHook('preHandler', requireAccess('admin'))

  app.get<{ Querystring: { limit: number; cursor?: number } }>(
    '/api/audit',
    {
      schema: {
        summary: 'The audit log of operator actions, newest first (admin)',
        tags: ['api'],
        security: bearer,
        querystring: AuditQuery,
        response: { 200: Page(AuditEntry), ...errors },
      },
    },
    async (request) => {
      const q = request.query
      const rows = await opts.store.listAudit({ tenants: request.scope!.tenants, before: q.cursor, limit: q.limit + 1 })
      return pageOf(rows, q.limit, auditView)
    },
  )

  app.get(
    '/api/tokens',
    {
      schema: {
        summary: 'API tokens made with tamer tokens or this API, never their values (admin)',
        tags: ['api'],
        security: bearer,
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: ApiToken } } }, ...errors },
      },
    },
    async (request) => {
      const within = request.scope!.tenants
      return { items: (await opts.store.listApiTokens()).filter((t) => tokenWithin(t, within)).map(describeToken) }
    },
  )

  app.post<{ Body: { name: string; scope: AccessLevel; tenants?: string[] } }>(
    '/api/tokens',
    {
      schema: {
        summary: 'Make an API token; the only answer that shows it (admin)',
        tags: ['api'],
        security: bearer,
        body: TokenBody,
        response: {
          201: { type: 'object', properties: { ...ApiToken.properties, token: { type: 'string' } } },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const b = request.body
      const r = { name: b.name, access: b.scope, tenants: b.tenants ?? null }
      checkTokenRequest(r, opts.tenants, request.scope!.tenants)
      const { token, record } = await createToken(opts.store, r, request.scope!.actor)
      // The only time the token is shown.
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...describeToken(record), token })
    },
  )

  app.delete<{ Params: { id: string } }>(
    '/api/tokens/:id',
    {
      schema: {
        summary: 'Revoke an API token (admin)',
        tags: ['api'],
        security: bearer,
        params: IdParams,
        response: { 204: { type: 'null', description: 'revoked' }, ...errors },
      },
    },
    async (request, reply) => {
      const record = (await opts.store.listApiTokens()).find((t) => t.id === request.params.id && t.revokedAt === null)
      // Another tenant's token answers like a missing one.
      if (
        !record ||
        !tokenWithin(record, request.scope!.tenants) ||
        !(await revokeToken(opts.store, record, request.scope!.actor))
      )
        throw new NotFoundError('token')
      return reply.code(204).send()
    },
  )
}
