// Bearer tokens for the read API; a token may be scoped to some tenants.
import type { FastifyRequest } from 'fastify'
import type { ApiTokenConfig } from '../config/schema.js'
import { UnauthorizedError } from '../errors.js'
import { tokenMatches } from '../providers/signatures.js'

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
