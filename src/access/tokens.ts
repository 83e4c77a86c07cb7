// API tokens made by Tamer (`tamer tokens create`, POST /api/tokens): 256 random bits after a
// `tmr_` prefix (so a leaked one is recognisable and masked by shape, src/security/secrets.ts),
// shown once, stored only as a SHA-256 hash. A high-entropy token needs no slow hash: nothing
// can be guessed from its SHA-256 (OWASP Password Storage Cheat Sheet is about low-entropy input).
import { createHash, randomBytes } from 'node:crypto'
import { TokenRequestError } from '../errors.js'
import { TAMER_TOKEN_PREFIX } from '../security/secret-fields.js'
import { ACCESS_LEVELS, type AccessLevel, type ApiTokenRecord, type SecurityStore } from '../store/security.js'

export function generateToken(): string {
  return `${TAMER_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export interface TokenRequest {
  name: string
  access: AccessLevel
  /** null: every tenant. */
  tenants: string[] | null
}

/** Checks a request against the configured tenants; `within` limits the tenants (a tenant-scoped admin's). */
export function checkTokenRequest(r: TokenRequest, knownTenants: readonly string[], within?: readonly string[]): void {
  if (!/^[^\s\u0000-\u001f][^\u0000-\u001f]{0,99}$/.test(r.name))
    throw new TokenRequestError('a name of 1 to 100 characters without control characters is needed')
  if (!ACCESS_LEVELS.includes(r.access)) throw new TokenRequestError(`scope must be one of ${ACCESS_LEVELS.join(', ')}`)
  if (r.tenants !== null) {
    if (r.tenants.length === 0) throw new TokenRequestError('tenants, when given, must name at least one tenant')
    const unknown = r.tenants.filter((t) => !knownTenants.includes(t))
    if (unknown.length) throw new TokenRequestError(`tenant ${unknown.join(', ')} is not configured`)
  }
  if (within && (r.tenants === null || r.tenants.some((t) => !within.includes(t))))
    throw new TokenRequestError(`a token limited to ${within.join(', ')} can only make tokens for those tenants`)
}

/** The tenant an audit entry about this token is filed under (one tenant, or none). */
const auditTenant = (tenants: readonly string[] | null) => (tenants?.length === 1 ? tenants[0]! : null)

export async function createToken(
  store: Pick<SecurityStore, 'createApiToken'>,
  r: TokenRequest,
  actor: string,
): Promise<{ token: string; record: ApiTokenRecord }> {
  const token = generateToken()
  const record: ApiTokenRecord = {
    id: randomBytes(8).toString('hex'),
    name: r.name,
    access: r.access,
    tenants: r.tenants,
    hash: hashToken(token),
    createdAt: new Date().toISOString(),
    createdBy: actor,
    revokedAt: null,
  }
  await store.createApiToken(record, {
    actor,
    action: 'token.create',
    target: record.id,
    tenant: auditTenant(r.tenants),
    detail: { name: r.name, scope: r.access, tenants: r.tenants },
  })
  return { token, record }
}

export async function revokeToken(
  store: Pick<SecurityStore, 'revokeApiToken'>,
  record: ApiTokenRecord,
  actor: string,
): Promise<boolean> {
  return store.revokeApiToken(record.id, {
    actor,
    action: 'token.revoke',
    target: record.id,
    tenant: auditTenant(record.tenants),
    detail: { name: record.name },
  })
}

/** Everything but the hash. */
export function describeToken(r: ApiTokenRecord) {
  return {
    id: r.id,
    name: r.name,
    scope: r.access,
    tenants: r.tenants,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    revokedAt: r.revokedAt,
  }
}

/** Whether a token limited to `within` may see or revoke this token (undefined: every tenant). */
export function tokenWithin(r: ApiTokenRecord, within: readonly string[] | undefined): boolean {
  return within === undefined || (r.tenants !== null && r.tenants.every((t) => within.includes(t)))
}
