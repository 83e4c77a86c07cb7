// Secret, API token and audit writes, run on the writer thread inside its transactions (see
// writer.ts). Each change and its audit entry are one write, so both commit or neither does.
import { randomUUID } from 'node:crypto'
import type { Database } from 'better-sqlite3'
import { RotationError } from '../../errors.js'
import type { ApiTokenRecord, AuditEntry, NewStoredSecret, SecurityStore } from '../security.js'

/** Structured clone turns Buffers into plain Uint8Arrays. */
type Bytes = Uint8Array

type SealedBytes = { keyId: string; iv: Bytes; ciphertext: Bytes; tag: Bytes }

export type SecurityWriteOp =
  | {
      op: 'security-secret-put'
      secret: Omit<NewStoredSecret, 'iv' | 'ciphertext' | 'tag'> & SealedBytes
      audit: AuditEntry
      at: string
    }
  | { op: 'security-secret-delete'; name: string; audit: AuditEntry; at: string }
  | {
      op: 'security-secret-reseal'
      rows: { name: string; before: Bytes; sealed: SealedBytes }[]
      audit: AuditEntry
      at: string
    }
  | { op: 'security-token-create'; token: Omit<ApiTokenRecord, 'revokedAt'>; audit: AuditEntry; at: string }
  | { op: 'security-token-revoke'; id: string; audit: AuditEntry; at: string }
  | { op: 'security-audit'; audit: AuditEntry; at: string }

/** put, audit: null; delete, revoke: whether there was one; reseal: rows changed, or why it was refused. */
export type SecurityWriteResult = null | boolean | number | string

export function isSecurityWrite(op: { op: string }): op is SecurityWriteOp {
  return op.op.startsWith('security-')
}

const buf = (b: Bytes) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)

/**
 * Why a rotation was refused on the writer thread; it crosses to the caller as a string and becomes
 * TAMER_ROTATION_FAILED there.
 */
class RotationRefused extends Error {}

export function createSecurityWrites(db: Database): (op: SecurityWriteOp) => SecurityWriteResult {
  const putSecret = db.prepare(
    `INSERT INTO secrets (name, kind, tenant, url, username, key_id, iv, ciphertext, tag, created_at, updated_at)
     VALUES (@name, @kind, @tenant, @url, @username, @keyId, @iv, @ciphertext, @tag, @at, @at)
     ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, tenant = excluded.tenant, url = excluded.url,
       username = excluded.username, key_id = excluded.key_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
       tag = excluded.tag, updated_at = excluded.updated_at`,
  )
  const deleteSecret = db.prepare('DELETE FROM secrets WHERE name = ?')
  const countSecrets = db.prepare('SELECT COUNT(*) FROM secrets').pluck()
  const reseal = db.prepare(
    'UPDATE secrets SET key_id = @keyId, iv = @iv, ciphertext = @ciphertext, tag = @tag, updated_at = @at WHERE name = @name AND ciphertext = @before',
  )
  const insertToken = db.prepare(
    `INSERT INTO api_tokens (id, name, access, tenants, hash, created_at, created_by)
     VALUES (@id, @name, @access, @tenants, @hash, @createdAt, @createdBy)`,
  )
  const revokeToken = db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
  const insertAudit = db.prepare(
    'INSERT INTO audit_log (id, at, actor, action, target, tenant, detail) VALUES (@id, @at, @actor, @action, @target, @tenant, @detail)',
  )
  const audit = (a: AuditEntry, at: string) =>
    void insertAudit.run({
      id: randomUUID(),
      at,
      actor: a.actor,
      action: a.action,
      target: a.target,
      tenant: a.tenant,
      detail: JSON.stringify(a.detail),
    })

  // All or nothing: a nested transaction is a savepoint, so a refusal undoes every row of the
  // rotation and nothing else of the writer's batch.
  const resealAll = db.transaction((op: Extract<SecurityWriteOp, { op: 'security-secret-reseal' }>): number => {
    if ((countSecrets.get() as number) !== op.rows.length)
      throw new RotationRefused('the store holds secrets the rotation did not read; run it again')
    for (const r of op.rows) {
      const s = r.sealed
      const changed = reseal.run({
        name: r.name,
        before: buf(r.before),
        keyId: s.keyId,
        iv: buf(s.iv),
        ciphertext: buf(s.ciphertext),
        tag: buf(s.tag),
        at: op.at,
      }).changes
      if (changed !== 1) throw new RotationRefused(`secret ${r.name} changed while the rotation ran; run it again`)
    }
    audit(op.audit, op.at)
    return op.rows.length
  })

  return (op) => {
    switch (op.op) {
      case 'security-secret-put': {
        const s = op.secret
        putSecret.run({
          name: s.name,
          kind: s.kind,
          tenant: s.tenant,
          url: s.url,
          username: s.username,
          keyId: s.keyId,
          iv: buf(s.iv),
          ciphertext: buf(s.ciphertext),
          tag: buf(s.tag),
          at: op.at,
        })
        audit(op.audit, op.at)
        return null
      }
      case 'security-secret-delete': {
        const gone = deleteSecret.run(op.name).changes > 0
        if (gone) audit(op.audit, op.at)
        return gone
      }
      case 'security-secret-reseal':
        try {
          return resealAll(op)
        } catch (err) {
          // Only a refusal: a failed write (disk full, locked) fails the batch like any other write.
          if (err instanceof RotationRefused) return err.message
          throw err
        }
      case 'security-token-create':
        insertToken.run({ ...op.token, tenants: op.token.tenants === null ? null : JSON.stringify(op.token.tenants) })
        audit(op.audit, op.at)
        return null
      case 'security-token-revoke': {
        const revoked = revokeToken.run(op.at, op.id).changes > 0
        if (revoked) audit(op.audit, op.at)
        return revoked
      }
      case 'security-audit':
        audit(op.audit, op.at)
        return null
    }
  }
}

type WriteMethods = Pick<
  SecurityStore,
  'putSecret' | 'deleteSecret' | 'resealSecrets' | 'createApiToken' | 'revokeApiToken' | 'recordAudit'
>

/** The store's write methods over a way to run one op (the writer thread, or a direct connection). */
export function securityWrites(write: (op: SecurityWriteOp) => Promise<SecurityWriteResult>): WriteMethods {
  const now = () => new Date().toISOString()
  return {
    async putSecret(secret, audit) {
      await write({ op: 'security-secret-put', secret, audit, at: now() })
    },
    async deleteSecret(name, audit) {
      return (await write({ op: 'security-secret-delete', name, audit, at: now() })) === true
    },
    async resealSecrets(rows, audit) {
      const r = await write({ op: 'security-secret-reseal', rows, audit, at: now() })
      if (typeof r === 'string') throw new RotationError(r)
      return r as number
    },
    async createApiToken(token, audit) {
      await write({ op: 'security-token-create', token, audit, at: token.createdAt })
    },
    async revokeApiToken(id, audit) {
      return (await write({ op: 'security-token-revoke', id, audit, at: now() })) === true
    },
    async recordAudit(audit) {
      await write({ op: 'security-audit', audit, at: now() })
    },
  }
}
