// Bearer tokens for the API: those of the config (`api.tokens`) and those made with `tamer tokens
// create` (stored as SHA-256 hashes). A token may be limited to some tenants, and has a scope:
// read (GET routes), operate (also routes that change state), admin (also tokens and the audit log).
import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { ApiTokenConfig } from '../config/schema.js'
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.js'
import { equalConstantTime, tokenMatches } from '../security/compare.js'
import { ACCESS_LEVELS, type AccessLevel, type ApiTokenRecord } from '../store/security.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireBearer: which tenants this request may see, what it may do, and who it is. */
    scope?: TokenScope
  }
}

export interface TokenScope {
  /** Undefined: every tenant. */
  tenants: readonly string[] | undefined
  access: AccessLevel
  /** Who, for the audit log: `token:<id> (<name>)` or `config:<name>`. */
  actor: string
}

/** Authenticates a request's bearer token (401 when it is missing or unknown). */
export type ApiAuth = (request: FastifyRequest) => Promise<TokenScope>

/** What the API plugins take: the config's tokens (tests), or the whole authentication. */
export type ApiTokens = readonly ApiTokenConfig[] | ApiAuth

/** The live stored token with this SHA-256 hash (hex). */
export type StoredTokenLookup = (hash: string) => Promise<ApiTokenRecord | null>

const sha256 = (s: string) => createHash('sha256').update(s).digest()

/** The config's tokens with the scope each gives (here and for the console's sessions). */
export function configTokenScopes(tokens: readonly ApiTokenConfig[]): { token: string; scope: TokenScope }[] {
  return tokens.map((t, i) => {
    const e = typeof t === 'string' ? { token: t } : t
    return {
      token: e.token,
      scope: { tenants: e.tenants, access: e.scope ?? 'read', actor: `config:${e.name ?? `api.tokens[${i}]`}` },
    }
  })
}

/** The scope a stored token (`tamer tokens create`) gives. */
export function storedTokenScope(record: ApiTokenRecord): TokenScope {
  return { tenants: record.tenants ?? undefined, access: record.access, actor: `token:${record.id} (${record.name})` }
}

export function createApiAuth(tokens: readonly ApiTokenConfig[], stored: StoredTokenLookup | null = null): ApiAuth {
  const entries = configTokenScopes(tokens)
  return async (request) => {
    const header = request.headers.authorization ?? ''
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!m) throw new UnauthorizedError()
    const given = m[1]!
    // Check every entry so the timing does not tell which token matched.
    let scope: TokenScope | undefined
    for (const e of entries) if (tokenMatches(given, [e.token]) && !scope) scope = e.scope
    if (scope) return scope
    // Stored tokens are found by the hash of what was given: the lookup learns nothing an attacker
    // could steer (SHA-256 preimages), and the hash found is compared in constant time again.
    const digest = sha256(given)
    const record = stored ? await stored(digest.toString('hex')) : null
    if (!record || !equalConstantTime(Buffer.from(record.hash, 'hex'), digest)) throw new UnauthorizedError()
    return storedTokenScope(record)
  }
}

export function createBearerAuth(tokens: ApiTokens): ApiAuth {
  return typeof tokens === 'function' ? tokens : createApiAuth(tokens)
}

/** An onRequest hook: every route of the plugin needs a bearer token; its scope lands on the request. */
export function requireBearer(tokens: ApiTokens) {
  const authenticate = createBearerAuth(tokens)
  return async (request: FastifyRequest): Promise<void> => {
    // Already authenticated this request (the per-token rate limit runs first, with the same auth).
    request.scope ??= await authenticate(request)
  }
}

/** Whether a scope of `have` covers `need` (read < operate < admin). */
export function allows(have: AccessLevel, need: AccessLevel): boolean {
  return ACCESS_LEVELS.indexOf(have) >= ACCESS_LEVELS.indexOf(need)
}

/** A preHandler for a route that needs more than read: 403 TAMER_FORBIDDEN otherwise. */
export function requireAccess(need: AccessLevel) {
  return async (request: FastifyRequest): Promise<void> => {
    const have = request.scope?.access ?? 'read'
    if (!allows(have, need)) throw new ForbiddenError(have, need)
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
export const IdParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 100 } },
  required: ['id'],
} as const

/**
 * The record when the caller's tenants may see it. Another tenant's record is answered exactly
 * like a missing one (404), so ids of other tenants cannot be probed.
 */
export function visibleTo<T extends { tenant: string }>(
  record: T | null | undefined,
  tenants: readonly string[] | undefined,
  what: string,
): T {
  if (!record || (tenants && !tenants.includes(record.tenant))) throw new NotFoundError(what)
  return record
}
