// Console sessions: an API token is exchanged once for a signed cookie (HMAC-SHA256 over the session's
// fields, the key `console.sessionSecret`), HttpOnly, SameSite=Strict, Secure behind https, Path=/ui.
// The cookie holds what the token may do, not the token: its SHA-256 is kept so that every request checks
// the token is still live (a revoked token ends its sessions at once). Each session carries a random
// CSRF token that every form posts back (a synchronizer token, bound to the session by the signature);
// OWASP's CSRF cheat sheet: https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { equalConstantTime } from '../security/compare.js'
import type { AccessLevel } from '../store/security.js'

export const SESSION_COOKIE = 'tamer_session'

export interface Session {
  actor: string
  /** Undefined: every tenant. */
  tenants: readonly string[] | undefined
  access: AccessLevel
  /** epoch ms */
  expires: number
  /** The forms' token. */
  csrf: string
  /** SHA-256 (hex) of the API token the session was made from. */
  tokenHash: string
}

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex')

export function newSession(
  scope: { actor: string; tenants: readonly string[] | undefined; access: AccessLevel },
  token: string,
  now: number,
  hours: number,
): Session {
  return {
    actor: scope.actor,
    tenants: scope.tenants,
    access: scope.access,
    expires: now + hours * 3_600_000,
    csrf: randomBytes(24).toString('base64url'),
    tokenHash: tokenHash(token),
  }
}

export interface SessionCodec {
  encode(s: Session): string
  /** The session, or null when the value is not one this key signed or it has expired. */
  decode(value: string | undefined, now: number): Session | null
}

export function sessionCodec(secret: string | Buffer): SessionCodec {
  const mac = (body: string) => createHmac('sha256', secret).update(`tamer-session\n${body}`).digest()
  return {
    encode(s) {
      const body = Buffer.from(
        JSON.stringify({ a: s.actor, t: s.tenants ?? null, s: s.access, e: s.expires, c: s.csrf, h: s.tokenHash }),
      ).toString('base64url')
      return `${body}.${mac(body).toString('base64url')}`
    },
    decode(value, now) {
      if (!value || value.length > 4096) return null
      const [body, sig, extra] = value.split('.')
      if (!body || !sig || extra !== undefined) return null
      if (!equalConstantTime(Buffer.from(sig, 'base64url'), mac(body))) return null
      try {
        const p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
          a: string
          t: string[] | null
          s: AccessLevel
          e: number
          c: string
          h: string
        }
        if (typeof p.e !== 'number' || p.e <= now) return null
        return { actor: p.a, tenants: p.t ?? undefined, access: p.s, expires: p.e, csrf: p.c, tokenHash: p.h }
      } catch {
        return null
      }
    },
  }
}

/** Whether a form's token is the session's (constant time). */
export function csrfMatches(session: Session, given: unknown): boolean {
  return (
    typeof given === 'string' && given.length > 0 && equalConstantTime(Buffer.from(given), Buffer.from(session.csrf))
  )
}

export function sessionCookie(value: string, o: { secure: boolean; maxAgeSeconds: number }): string {
  return `${SESSION_COOKIE}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${o.maxAgeSeconds}${o.secure ? '; Secure' : ''}`
}
