// Signed links to a push's diff page, so a Jenkins build, a mail or a chat message can link
// to it without a bearer token. A link opens that one page, until it expires.
import { createHmac } from 'node:crypto'
import { equalConstantTime } from '../security/compare.js'

export interface DiffLinks {
  /** The page's absolute URL, signed; null when links are not configured. */
  urlFor(deliveryId: string): string | null
  /** Whether `exp`/`sig` from a query string open this delivery's page now. */
  verify(deliveryId: string, exp: string | undefined, sig: string | undefined): boolean
}

export interface DiffLinkSettings {
  /** HMAC key; empty disables signed links (pages then need a bearer token). */
  secret: string
  /** Tamer's public base URL. */
  publicUrl: string
  ttlDays: number
  now?: () => number
}

function signature(secret: string, deliveryId: string, exp: string): Buffer {
  return createHmac('sha256', secret).update(`diff\n${deliveryId}\n${exp}`).digest()
}

export function createDiffLinks(s: DiffLinkSettings): DiffLinks {
  const now = s.now ?? Date.now
  const base = s.publicUrl.replace(/\/+$/, '')
  return {
    urlFor(deliveryId) {
      if (!s.secret || !base) return null
      const exp = String(Math.floor(now() / 1000) + s.ttlDays * 86_400)
      const sig = signature(s.secret, deliveryId, exp).toString('base64url')
      return `${base}/diffs/${encodeURIComponent(deliveryId)}?exp=${exp}&sig=${sig}`
    },
    verify(deliveryId, exp, sig) {
      if (!s.secret || !exp || !sig || !/^\d{1,12}$/.test(exp)) return false
      if (Number(exp) < now() / 1000) return false
      const given = Buffer.from(sig, 'base64url')
      const expected = signature(s.secret, deliveryId, exp)
      return equalConstantTime(given, expected)
    },
  }
}

/** The links Tamer signs, from its config: one place decides the secret, base URL and lifetime. */
export function diffLinksFromConfig(
  config: { links: { secret: string; ttlDays: number }; jenkins: { publicUrl: string } },
  now?: () => number,
): DiffLinks {
  return createDiffLinks({
    secret: config.links.secret,
    publicUrl: config.jenkins.publicUrl,
    ttlDays: config.links.ttlDays,
    now,
  })
}
