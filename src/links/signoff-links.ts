// Signed sign-off links (issue #15): one per party and decision, bound to the sign-off, the party, the
// decision and an expiry by an HMAC with links.secret. Following one shows a confirm page (a GET never
// acts: mail scanners prefetch links); its form POSTs back with a CSRF token bound to the link and to a
// cookie the page set (double submit: a cross-site form cannot read or set that cookie, SameSite=Strict).
// https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
import { createHmac, randomBytes } from 'node:crypto'
import { equalConstantTime } from '../security/compare.js'

export type LinkDecision = 'approved' | 'rejected'

export interface SignoffLink {
  signoffId: string
  party: string
  decision: LinkDecision
  /** epoch seconds */
  exp: number
}

export type LinkCheck = 'ok' | 'bad-signature' | 'expired'

export interface SignoffLinks {
  /** The link's absolute URL; null when links.secret or jenkins.publicUrl is not set. */
  urlFor(l: SignoffLink): string | null
  /** A link's fields from a query or form, checked: the signature first, then the expiry. */
  check(q: { party?: string; decision?: string; exp?: string; sig?: string }, signoffId: string): LinkCheck
  /** A fresh cookie value and the form's token bound to it and to the link. */
  csrfFor(l: { signoffId: string; party: string; decision: string; exp: string }): { cookie: string; token: string }
  /** Whether `token` is the one csrfFor made for this link and this cookie. */
  csrfValid(
    l: { signoffId: string; party: string; decision: string; exp: string },
    cookie: string | undefined,
    token: string | undefined,
  ): boolean
}

const mac = (secret: string, ...parts: string[]) => createHmac('sha256', secret).update(parts.join('\n')).digest()

export function createSignoffLinks(s: { secret: string; publicUrl: string; now?: () => number }): SignoffLinks {
  const now = s.now ?? Date.now
  const base = s.publicUrl.replace(/\/+$/, '')
  const linkSig = (id: string, party: string, decision: string, exp: string) =>
    mac(s.secret, 'signoff', id, party, decision, exp)
  const csrf = (l: { signoffId: string; party: string; decision: string; exp: string }, cookie: string) =>
    mac(s.secret, 'signoff-csrf', l.signoffId, l.party, l.decision, l.exp, cookie).toString('base64url')
  return {
    urlFor(l) {
      if (!s.secret || !base) return null
      const exp = String(l.exp)
      const sig = linkSig(l.signoffId, l.party, l.decision, exp).toString('base64url')
      const q = new URLSearchParams({ party: l.party, decision: l.decision, exp, sig })
      return `${base}/signoff/${encodeURIComponent(l.signoffId)}?${q.toString()}`
    },
    check(q, signoffId) {
      const { party, decision, exp, sig } = q
      if (!s.secret || !party || !sig || !exp || !/^\d{1,12}$/.test(exp)) return 'bad-signature'
      if (decision !== 'approved' && decision !== 'rejected') return 'bad-signature'
      if (!equalConstantTime(Buffer.from(sig, 'base64url'), linkSig(signoffId, party, decision, exp)))
        return 'bad-signature'
      return Number(exp) * 1000 <= now() ? 'expired' : 'ok'
    },
    csrfFor(l) {
      const cookie = randomBytes(18).toString('base64url')
      return { cookie, token: csrf(l, cookie) }
    },
    csrfValid(l, cookie, token) {
      if (!s.secret || !cookie || !token) return false
      return equalConstantTime(Buffer.from(token), Buffer.from(csrf(l, cookie)))
    },
  }
}
