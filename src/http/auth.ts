// Bearer tokens for the read API; a token may be scoped to some tenants.
import type { FastifyRequest } from 'fastify'
import type { ApiTokenConfig } from '../config/schema.js'
import { NotFoundError, UnauthorizedError } from '../errors.js'
import { tokenMatches } from '../providers/signatures.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireBearer: which tenants this request may see. */
    scope?: TokenScope
  }
}

export interface TokenScope {
  /** Undefined: every tenant. */
  tenants: readonly string[] | undefined
}

export function createBearerAuth(tokens: readonly ApiTokenConfig[]) {
  const entries = tokens.map((t) => (typeof t === 'string' ? { token: t, tenants: undefined } : t))
  return (request: FastifyRequest): TokenScope => {
    const header = request.headers.authorization ?? ''
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!m) throw new UnauthorizedError()
    // Check every entry so the timing does not tell which token matched.
    let scope: TokenScope | undefined
    for (const e of entries) if (tokenMatches(m[1]!, [e.token]) && !scope) scope = { tenants: e.tenants }
    if (!scope) throw new UnauthorizedError()
    return scope
  }
}

/** An onRequest hook: every route of the plugin needs a bearer token; its scope lands on the request. */
export function requireBearer(tokens: readonly ApiTokenConfig[]) {
  const authenticate = createBearerAuth(tokens)
  return async (request: FastifyRequest): Promise<void> => {
    request.scope = authenticate(request)
  }
}

/**
 * One page of a newest-first list fetched with limit + 1 rows: the extra row only says that
 * there is more, and the cursor is the last shown row's seq.
 */
export function pageOf<T extends { seq: number }, U>(rows: T[], limit: number, view: (row: T) => U) {
  const page = rows.slice(0, limit)
  return { items: page.map(view), nextCursor: rows.length > limit ? page[page.length - 1]!.seq : null }
}

/** Route params of one record by id. */
export const IdParams = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const

/**
 * The record when the caller's tenants may see it. Another tenant's record is answered exactly
 * like a missing one (404), so ids of other tenants cannot be probed.
 */
export function visibleTo<T extends { tenant: string }>(record: T | null | undefined, tenants: readonly string[] | undefined, what: string): T {
  if (!record || (tenants && !tenants.includes(record.tenant))) throw new NotFoundError(what)
  return record
}
