// Console sign-in with OIDC (issue #14): what the config must say, checked with the other domains'
// checks (src/compose/config.ts), and how an ID token's claims become a session's tenants and scope.
// The issuer, client and redirect URL come from the config only, never from a request.
import type { Config } from '../config/schema.js'
import { ConfigError } from '../errors.js'
import type { AccessLevel } from '../store/security.js'

export type OidcConfig = Config['console']['oidc']

/** Loopback issuers may be plain http (a provider on the operator's machine, the tests); others must be https. */
export const isLoopback = (u: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)

/** The callback URL the provider sends the browser back to (console.oidc.redirectUrl, or from the public URL). */
export function redirectUrlOf(config: Config): string {
  const o = config.console.oidc
  if (o.redirectUrl) return o.redirectUrl
  return config.jenkins.publicUrl ? `${config.jenkins.publicUrl.replace(/\/+$/, '')}/ui/oidc/callback` : ''
}

const httpUrl = (value: string, loopbackHttp: boolean) => {
  try {
    const u = new URL(value)
    return !u.username && !u.password && (u.protocol === 'https:' || (loopbackHttp && u.protocol === 'http:'))
  } catch {
    return false
  }
}

export function checkOidcConfig(config: Config): void {
  const o = config.console.oidc
  const key = 'console.oidc'
  if (!o.issuer) {
    if (o.grants.length || o.clientId)
      throw new ConfigError(`${key}.issuer`, 'is required when clientId or grants are set')
    return
  }
  let issuer: URL | null = null
  try {
    issuer = new URL(o.issuer)
  } catch {
    // not a URL: refused below
  }
  if (!issuer || !httpUrl(o.issuer, isLoopback(issuer)))
    throw new ConfigError(`${key}.issuer`, 'must be an https URL (http only on localhost) without credentials')
  if (!o.clientId) throw new ConfigError(`${key}.clientId`, 'is required with an issuer')
  const redirect = redirectUrlOf(config)
  if (!redirect) throw new ConfigError(`${key}.redirectUrl`, 'is required with an issuer (or set jenkins.publicUrl)')
  if (!httpUrl(redirect, true) || !new URL(redirect).pathname.endsWith('/ui/oidc/callback'))
    throw new ConfigError(`${key}.redirectUrl`, "must be Tamer's http(s) URL ending in /ui/oidc/callback")
  if (!o.scopes.split(/\s+/).includes('openid')) throw new ConfigError(`${key}.scopes`, 'must include openid')
  if (!o.grants.length) throw new ConfigError(`${key}.grants`, 'no grant: nobody could sign in; add one')
  const tenants = new Set([config.defaultTenant, ...config.tenants.map((t) => t.name)])
  for (const [i, g] of o.grants.entries())
    for (const t of g.tenants ?? [])
      if (!tenants.has(t)) throw new ConfigError(`${key}.grants.${i}.tenants`, `${t} is not a configured tenant`)
}

export interface GrantedScope {
  tenants: readonly string[] | undefined
  access: AccessLevel
  /** Which grant (its index in console.oidc.grants), for the log. */
  grant: number
}

/** A claim's values as strings: a string, a number or boolean, or an array of them (e.g. `groups`). */
function claimValues(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(claimValues)
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? [String(v)] : []
}

/**
 * The first grant whose claim matches decides (in the config's order, so a narrow grant listed before a
 * wide one wins); null: none matches. An `email` is only taken when the provider has not said it is
 * unverified (OpenID Connect Core 1.0, section 5.1, `email_verified`: https://openid.net/specs/openid-connect-core-1_0.html#StandardClaims).
 */
export function grantFor(claims: Record<string, unknown>, grants: OidcConfig['grants']): GrantedScope | null {
  for (const [i, g] of grants.entries()) {
    if (g.claim === 'email' && claims.email_verified === false) continue
    const values = claimValues(claims[g.claim])
    const match = g.value.startsWith('*')
      ? values.some((v) => v.toLowerCase().endsWith(g.value.slice(1).toLowerCase()))
      : values.includes(g.value)
    if (match) return { tenants: g.tenants, access: g.scope, grant: i }
  }
  return null
}
