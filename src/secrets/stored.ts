// Secrets kept in the store, sealed under the master key, next to those from the config file,
// the environment and `*_FILE`s. Which config secrets can live here, and where each goes:
//
//   kind                     --tenant  --url  goes to
//   github-secret            yes       no     providers.github.secrets, or the tenant's repositories
//   bitbucket-secret         yes       no     providers.bitbucket.secrets, or the tenant's repositories
//   gitlab-token             yes       no     providers.gitlab.tokens, or the tenant's repositories
//   gitlab-signing-token     yes       no     providers.gitlab.signingTokens, or the tenant's repositories
//   git-credential           yes       yes    git.credentials (only for that tenant's repositories)
//   jenkins-token            no        no     jenkins.token (replaces the config's)
//   jenkins-callback-secret  no        no     jenkins.callbackSecret (replaces the config's)
//   link-secret              no        no     links.secret (replaces the config's)
//   session-secret           no        no     console.sessionSecret (replaces the config's)
//   oidc-client-secret       no        no     console.oidc.clientSecret (replaces the config's)
//   smtp-password            no        no     notifications.smtp.password (replaces the config's)
//
// API tokens are not here: they are stored hashed (`tamer tokens`), never sealed.
import { validateConfig } from '../config/load.js'
import { credentialPrefixProblem } from '../config/credential-url.js'
import type { Config } from '../config/schema.js'
import { MasterKeyMissingError, RotationError, SecretRequestError } from '../errors.js'
import type { MasterKey, MasterKeys } from '../security/master-key.js'
import { seal, unseal } from '../security/seal.js'
import type { AuditEntry, SecurityStore, StoredSecret } from '../store/security.js'
import { openSecurityStoreOf } from '../store/open.js'
import { masterKeysFromEnv } from '../security/master-key.js'

type Target = 'github' | 'bitbucket' | 'gitlab-token' | 'gitlab-signing' | 'git' | 'scalar'

interface KindSpec {
  target: Target
  tenant: boolean
  url: boolean
  /** scalar kinds: the config path they replace */
  path?: [string, string, ...string[]]
}

export const SECRET_KINDS: Record<string, KindSpec> = {
  'github-secret': { target: 'github', tenant: true, url: false },
  'bitbucket-secret': { target: 'bitbucket', tenant: true, url: false },
  'gitlab-token': { target: 'gitlab-token', tenant: true, url: false },
  'gitlab-signing-token': { target: 'gitlab-signing', tenant: true, url: false },
  'git-credential': { target: 'git', tenant: true, url: true },
  'jenkins-token': { target: 'scalar', tenant: false, url: false, path: ['jenkins', 'token'] },
  'jenkins-callback-secret': { target: 'scalar', tenant: false, url: false, path: ['jenkins', 'callbackSecret'] },
  'link-secret': { target: 'scalar', tenant: false, url: false, path: ['links', 'secret'] },
  'session-secret': { target: 'scalar', tenant: false, url: false, path: ['console', 'sessionSecret'] },
  'oidc-client-secret': { target: 'scalar', tenant: false, url: false, path: ['console', 'oidc', 'clientSecret'] },
  'smtp-password': { target: 'scalar', tenant: false, url: false, path: ['notifications', 'smtp', 'password'] },
}

export interface SecretSpec {
  name: string
  kind: string
  tenant: string | null
  url: string | null
  username: string | null
}

export interface OpenedSecret extends SecretSpec {
  value: string
}

/** The row's identity, authenticated with its value: a sealed value moved to another row does not open. */
export function aadOf(s: SecretSpec): string {
  return ['tamer-secret-v1', s.name, s.kind, s.tenant ?? '', s.url ?? '', s.username ?? ''].join('\0')
}

/** Why this spec cannot be stored (or applied) with this config; undefined when it can. */
export function specProblem(config: Config, s: SecretSpec): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(s.name))
    return `name ${JSON.stringify(s.name)} must be letters, digits and . _ @ - (at most 100)`
  const k = SECRET_KINDS[s.kind]
  if (!k) return `kind ${JSON.stringify(s.kind)} is not one of ${Object.keys(SECRET_KINDS).join(', ')}`
  if (s.tenant !== null && !k.tenant) return `${s.kind} is not per tenant`
  if (s.tenant !== null) {
    if (s.tenant === config.defaultTenant)
      return `the default tenant's ${s.kind} is the provider-wide one: leave out --tenant`
    if (!config.tenants.some((t) => t.name === s.tenant)) return `tenant ${s.tenant} is not configured`
    if (k.target !== 'git') {
      const overlap = earlierOverlap(config, s.tenant)
      if (overlap)
        return `tenant ${s.tenant}'s glob ${overlap.glob} may also match repositories of tenant ${overlap.tenant} (${overlap.other}), which comes first; a stored secret applies to every repository its tenant's globs match, so give ${s.tenant} globs no earlier tenant can match`
    }
  }
  if (k.url && s.url === null) return `${s.kind} needs --url (the https:// prefix it is for)`
  const urlProblem = k.url && s.url !== null ? credentialPrefixProblem(s.url) : undefined
  if (urlProblem) return `--url ${urlProblem}`
  if (!k.url && (s.url !== null || s.username !== null)) return `${s.kind} takes no --url or --username`
  return undefined
}

const GLOB_CHARS = /[*?[\]{}()!+@]/
const isLiteral = (segment: string) => !GLOB_CHARS.test(segment)

/**
 * An earlier tenant whose globs may match a repository that `tenant`'s globs match. Tenants are
 * first-match, so such a repository belongs to the earlier tenant and must not accept this
 * tenant's secrets.
 */
function earlierOverlap(config: Config, tenant: string): { glob: string; tenant: string; other: string } | undefined {
  const index = config.tenants.findIndex((t) => t.name === tenant)
  const mine = config.tenants[index]!.repositories
  for (const earlier of config.tenants.slice(0, index))
    for (const other of earlier.repositories)
      for (const glob of mine) if (!provablyDisjoint(glob, other)) return { glob, tenant: earlier.name, other }
  return undefined
}

/**
 * Whether no repository name can match both globs, claimed only when proven: without `**`,
 * braces or extglobs a glob never matches across a `/`, so globs with different segment counts
 * are disjoint, and so are globs with two different literals in the same segment (case-insensitive,
 * as tenants match).
 */
export function provablyDisjoint(a: string, b: string): boolean {
  if (/\*\*|[{}()]/.test(a + b)) return false
  const x = a.toLowerCase().split('/')
  const y = b.toLowerCase().split('/')
  if (x.length !== y.length) return true
  return x.some((s, i) => isLiteral(s) && isLiteral(y[i]!) && s !== y[i])
}

/**
 * The config (a draft, see loadDraftConfig) with the stored secrets laid over it, then validated
 * again; the domains' checks are the caller's (checkConfig, src/compose/config.ts).
 */
export function applyStoredSecrets(config: Config, secrets: readonly OpenedSecret[]): Config {
  const raw = structuredClone(config)
  const globsOf = (tenant: string) => config.tenants.find((t) => t.name === tenant)!.repositories
  for (const s of secrets) {
    const problem = specProblem(config, s)
    if (problem) throw new SecretRequestError(`${s.name}: ${problem}`)
    const k = SECRET_KINDS[s.kind]!
    const p = raw.providers
    switch (k.target) {
      case 'github':
      case 'bitbucket': {
        const provider = p[k.target]
        if (s.tenant === null) provider.secrets.push(s.value)
        else for (const match of globsOf(s.tenant)) provider.repositories.push({ match, secrets: [s.value] })
        break
      }
      case 'gitlab-token':
      case 'gitlab-signing': {
        const field = k.target === 'gitlab-token' ? 'tokens' : 'signingTokens'
        if (s.tenant === null) p.gitlab[field].push(s.value)
        else
          for (const match of globsOf(s.tenant))
            p.gitlab.repositories.push({ match, tokens: [], signingTokens: [], [field]: [s.value] })
        break
      }
      case 'git':
        // Without --tenant a credential serves every tenant: said explicitly, as git.credentials requires once tenants
        // exist.
        raw.git.credentials.push({
          url: s.url!,
          username: s.username ?? 'x-access-token',
          password: s.value,
          tenants: s.tenant === null ? ['*'] : [s.tenant],
        })
        break
      case 'scalar': {
        const path = k.path!
        let node = raw as unknown as Record<string, unknown>
        for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>
        const replaced = node[path[path.length - 1]!] as string
        node[path[path.length - 1]!] = s.value
        // The value it replaces (an old one, often) is still a secret: it stays masked.
        if (replaced.length >= 4 && replaced !== s.value) raw.notifications.maskValues.push(replaced)
        break
      }
    }
  }
  return validateConfig(raw)
}

/** The key a row was sealed with, among those given. */
function keyFor(keys: MasterKeys, row: StoredSecret): MasterKey | null {
  return [keys.current, keys.old].find((k) => k?.id === row.keyId) ?? null
}

const specOf = (r: StoredSecret): SecretSpec => ({
  name: r.name,
  kind: r.kind,
  tenant: r.tenant,
  url: r.url,
  username: r.username,
})

/** Every stored secret, opened (under TAMER_MASTER_KEY, or TAMER_MASTER_KEY_OLD while a rotation is pending). */
export async function openStoredSecrets(
  store: Pick<SecurityStore, 'listSecrets'>,
  keys: MasterKeys,
): Promise<OpenedSecret[]> {
  const rows = await store.listSecrets()
  if (rows.length === 0) return []
  if (!keys.current && !keys.old)
    throw new MasterKeyMissingError(
      `${rows.length} stored secret${rows.length === 1 ? ' needs' : 's need'} TAMER_MASTER_KEY (or TAMER_MASTER_KEY_FILE) to be opened`,
    )
  return rows.map((r) => {
    const key = keyFor(keys, r) ?? keys.current ?? keys.old!
    return { ...specOf(r), value: unseal(key, r, aadOf(r), r.name) }
  })
}

/**
 * The config a one-off command runs with (`jobs sync`, `notify test`, `rules test`): the loaded one
 * plus the stored secrets, read over a short-lived connection; no database yet, nothing stored.
 */
export async function withStoredSecretsOf(config: Config, env: NodeJS.ProcessEnv): Promise<Config> {
  const store = await openSecurityStoreOf(config, { ifExists: true })
  if (!store) return validateConfig(config)
  try {
    return await withStoredSecrets(config, store, masterKeysFromEnv(env))
  } finally {
    await store.close()
  }
}

/** The config `serve` runs with: the loaded one plus every stored secret. */
export async function withStoredSecrets(
  config: Config,
  store: Pick<SecurityStore, 'listSecrets'>,
  keys: MasterKeys,
): Promise<Config> {
  return applyStoredSecrets(config, await openStoredSecrets(store, keys))
}

/** The checks that need no store: a key to seal with, a value, a spec this config can apply. */
export function checkSetRequest(config: Config, keys: MasterKeys, spec: SecretSpec, value: string): MasterKey {
  if (!keys.current)
    throw new MasterKeyMissingError('tamer secrets set needs TAMER_MASTER_KEY (or TAMER_MASTER_KEY_FILE)')
  if (value === '') throw new SecretRequestError('the value is empty')
  const problem = specProblem(config, spec)
  if (problem) throw new SecretRequestError(problem)
  return keys.current
}

/** Stores (or replaces) one secret. The checks across keys run at the next start, when every secret is there. */

export async function setSecret(
  config: Config,
  store: SecurityStore,
  keys: MasterKeys,
  spec: SecretSpec,
  value: string,
  actor: string,
): Promise<void> {
  const key = checkSetRequest(config, keys, spec, value)
  // Every stored secret opens under this key, so the store never holds values of two keys.
  await openStoredSecrets(store, keys)
  const tenantAudit: AuditEntry = {
    actor,
    action: 'secret.set',
    target: spec.name,
    tenant: spec.tenant,
    detail: { kind: spec.kind, ...(spec.url ? { url: spec.url } : {}) },
  }
  await store.putSecret({ ...spec, ...seal(key, value, aadOf(spec)) }, tenantAudit)
}

export async function deleteSecret(store: SecurityStore, name: string, actor: string): Promise<boolean> {
  const row = (await store.listSecrets()).find((r) => r.name === name)
  if (!row) return false
  return store.deleteSecret(name, {
    actor,
    action: 'secret.delete',
    target: name,
    tenant: row.tenant,
    detail: { kind: row.kind },
  })
}

/**
 * Re-seals every stored secret under TAMER_MASTER_KEY (the new key), opening each with the key
 * it names (TAMER_MASTER_KEY_OLD, or the new one for rows already under it), in one transaction:
 * all rows move, or none does.
 */
export async function rotateSecrets(
  store: SecurityStore,
  keys: MasterKeys,
  actor: string,
): Promise<{ rotated: number; from: string[]; to: string }> {
  if (!keys.current || !keys.old)
    throw new MasterKeyMissingError(
      'tamer secrets rotate needs the new key as TAMER_MASTER_KEY and the old one as TAMER_MASTER_KEY_OLD',
    )
  if (keys.current.id === keys.old.id)
    throw new RotationError('TAMER_MASTER_KEY and TAMER_MASTER_KEY_OLD are the same key')
  const rows = await store.listSecrets()
  const resealed = rows.map((r) => {
    const key = keyFor(keys, r)
    if (!key)
      throw new RotationError(
        `secret ${r.name} is sealed under key ${r.keyId}, which is neither ${keys.old!.id} (old) nor ${keys.current!.id} (new)`,
      )
    return {
      name: r.name,
      before: r.ciphertext,
      sealed: seal(keys.current!, unseal(key, r, aadOf(r), r.name), aadOf(r)),
    }
  })
  const from = [...new Set(rows.map((r) => r.keyId))]
  const rotated = await store.resealSecrets(resealed, {
    actor,
    action: 'secrets.rotate',
    target: null,
    tenant: null,
    detail: { secrets: rows.length, from, to: keys.current.id },
  })
  return { rotated, from, to: keys.current.id }
}

/** For `tamer secrets list`: everything but the value. */
export function describeSecret(r: StoredSecret) {
  return {
    name: r.name,
    kind: r.kind,
    tenant: r.tenant,
    url: r.url,
    username: r.username,
    keyId: r.keyId,
    updatedAt: r.updatedAt,
  }
}
