// The security side of the store: sealed secrets, hashed API tokens and the audit log of
// operator actions. Interface only. Every change is written in one transaction with its audit
// entry, so the log cannot miss an action that happened nor show one that did not.

/** read: GET routes; operate: routes that change state (resend); admin: tokens and the audit log. */
export type AccessLevel = 'read' | 'operate' | 'admin'
export const ACCESS_LEVELS: readonly AccessLevel[] = ['read', 'operate', 'admin']

export interface AuditEntry {
  /** Who: `token:<id> (<name>)`, `config:<name>` or `cli:<os user>`. */
  actor: string
  /** What, e.g. `notification.resend`, `token.create`, `secret.set`, `secrets.rotate`. */
  action: string
  /** The record acted on (an id or a name); null for actions on the whole store. */
  target: string | null
  /** The target's tenant, when it has one: a tenant-scoped admin reads only its tenants' entries. */
  tenant: string | null
  /** What else an operator needs to know; never a secret value. */
  detail: Record<string, unknown>
}

export interface AuditRecord extends AuditEntry {
  seq: number
  id: string
  at: string
}

export interface AuditQuery {
  /** Undefined: every tenant, and entries without one. */
  tenants?: readonly string[]
  before?: number
  limit: number
}

/** A value sealed under the master key (src/security/seal.ts), with what it is for. */
export interface StoredSecret {
  name: string
  /** One of SECRET_KINDS (src/security/stored-secrets.ts). */
  kind: string
  tenant: string | null
  /** git credentials: the URL prefix. */
  url: string | null
  /** git credentials: the user name. */
  username: string | null
  keyId: string
  iv: Buffer
  ciphertext: Buffer
  tag: Buffer
  createdAt: string
  updatedAt: string
}

export type NewStoredSecret = Omit<StoredSecret, 'createdAt' | 'updatedAt'>

export interface ApiTokenRecord {
  id: string
  name: string
  access: AccessLevel
  /** null: every tenant. */
  tenants: string[] | null
  /** SHA-256 of the token, hex; the token itself is shown once and never stored. */
  hash: string
  createdAt: string
  createdBy: string
  revokedAt: string | null
}

export interface SecurityStore {
  listSecrets(): Promise<StoredSecret[]>
  /** Inserts or replaces the secret of that name. */
  putSecret(secret: NewStoredSecret, audit: AuditEntry): Promise<void>
  /** false when there is no secret of that name. */
  deleteSecret(name: string, audit: AuditEntry): Promise<boolean>
  /**
   * Rotation: every row gets its new sealed value in one transaction. Refused (nothing changed)
   * when a row's ciphertext is no longer `before` (changed meanwhile) or the store holds a secret
   * the list leaves out.
   */
  resealSecrets(
    rows: { name: string; before: Buffer; sealed: Pick<StoredSecret, 'keyId' | 'iv' | 'ciphertext' | 'tag'> }[],
    audit: AuditEntry,
  ): Promise<number>

  /** The live (not revoked) token with this hash. */
  findApiToken(hash: string): Promise<ApiTokenRecord | null>
  listApiTokens(): Promise<ApiTokenRecord[]>
  createApiToken(token: Omit<ApiTokenRecord, 'revokedAt'>, audit: AuditEntry): Promise<void>
  /** false when no live token has that id. */
  revokeApiToken(id: string, audit: AuditEntry): Promise<boolean>

  recordAudit(entry: AuditEntry): Promise<void>
  listAudit(q: AuditQuery): Promise<AuditRecord[]>
}
