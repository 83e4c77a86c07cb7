// Mail addresses from commits, pushes and config: normalized, deduplicated, and no mail
// to addresses nobody reads (GitHub's private-email stand-ins, noreply senders).

// Deliberately narrower than RFC 5322: what SMTP servers take in RCPT TO without quoting.
const ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

const NOREPLY = [
  /@users\.noreply\.github\.com$/, // GitHub "keep my email private"
  /@noreply\.github\.com$/, // web-flow commits
  /^(?:no-?reply|do-?not-?reply)(?:[+.-][^@]*)?@/, // noreply@…, no-reply+x@…, donotreply@…
  /@(?:[a-z0-9-]+\.)*noreply\.[a-z.]+$/, // …@noreply.gitlab.com and friends
]

/** `Name <a@B.com>` or ` a@B.com ` → `a@b.com`; null when it is not a usable address. */
export function normalizeAddress(raw: string | null | undefined): string | null {
  if (!raw) return null
  let s = raw.trim()
  const angle = /<([^<>]*)>\s*$/.exec(s)
  if (angle) s = angle[1]!.trim()
  if (s.length > 254 || !ADDRESS.test(s)) return null
  const at = s.lastIndexOf('@')
  // The local part is case-sensitive in theory; every real server treats it as not.
  return `${s.slice(0, at)}@${s.slice(at + 1)}`.toLowerCase()
}

export function isNoreply(address: string): boolean {
  return NOREPLY.some((re) => re.test(address))
}

export interface RecipientList {
  addresses: string[]
  /** not addresses at all */
  invalid: number
  /** noreply addresses skipped */
  noreply: number
  /** dropped beyond the limit */
  overLimit: number
}

/** In order of first appearance, so fixed recipients and the first culprits survive the limit. */
export function recipientList(raw: Iterable<string | null | undefined>, limit: number): RecipientList {
  const seen = new Set<string>()
  const out: RecipientList = { addresses: [], invalid: 0, noreply: 0, overLimit: 0 }
  for (const r of raw) {
    if (r === null || r === undefined || r.trim() === '') continue
    const a = normalizeAddress(r)
    if (!a) {
      out.invalid++
      continue
    }
    if (seen.has(a)) continue
    seen.add(a)
    if (isNoreply(a)) out.noreply++
    else if (out.addresses.length >= limit) out.overLimit++
    else out.addresses.push(a)
  }
  return out
}
