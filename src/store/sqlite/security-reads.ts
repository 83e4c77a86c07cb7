// Secret, API token and audit reads, on the main thread (WAL readers never wait for the writer).
import type { Database } from 'better-sqlite3'
import type { AccessLevel, ApiTokenRecord, AuditRecord, SecurityStore, StoredSecret } from '../security.js'
import { createPageQuery } from './page-query.js'
import { AUDIT_PAGES } from './page-lists.js'

interface SecretRow {
  name: string
  kind: string
  tenant: string | null
  url: string | null
  username: string | null
  key_id: string
  iv: Buffer
  ciphertext: Buffer
  tag: Buffer
  created_at: string
  updated_at: string
}

interface TokenRow {
  id: string
  name: string
  access: string
  tenants: string | null
  hash: string
  created_at: string
  created_by: string
  revoked_at: string | null
}

interface AuditRow {
  seq: number
  id: string
  at: string
  actor: string
  action: string
  target: string | null
  tenant: string | null
  detail: string
}

export const toSecret = (r: SecretRow): StoredSecret => ({
  name: r.name,
  kind: r.kind,
  tenant: r.tenant,
  url: r.url,
  username: r.username,
  keyId: r.key_id,
  iv: r.iv,
  ciphertext: r.ciphertext,
  tag: r.tag,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export const toToken = (r: TokenRow): ApiTokenRecord => ({
  id: r.id,
  name: r.name,
  access: r.access as AccessLevel,
  tenants: r.tenants === null ? null : (JSON.parse(r.tenants) as string[]),
  hash: r.hash,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
})

export const toAudit = (r: AuditRow): AuditRecord => ({
  seq: r.seq,
  id: r.id,
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  tenant: r.tenant,
  detail: JSON.parse(r.detail) as Record<string, unknown>,
})

export function createSecurityReads(
  db: Database,
): Pick<SecurityStore, 'listSecrets' | 'findApiToken' | 'listApiTokens' | 'listAudit'> {
  const secrets = db.prepare('SELECT * FROM secrets ORDER BY name')
  const byHash = db.prepare('SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL')
  const tokens = db.prepare('SELECT * FROM api_tokens ORDER BY created_at, id')
  const audit = createPageQuery(db, AUDIT_PAGES)
  return {
    async listSecrets() {
      return (secrets.all() as SecretRow[]).map(toSecret)
    },
    async findApiToken(hash) {
      const r = byHash.get(hash) as TokenRow | undefined
      return r ? toToken(r) : null
    },
    async listApiTokens() {
      return (tokens.all() as TokenRow[]).map(toToken)
    },
    async listAudit(q) {
      return (audit(q) as AuditRow[]).map(toAudit)
    },
  }
}
