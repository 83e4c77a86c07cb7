// Console logs in notices: bounded, valid text, and no secrets. A log can be 100 MB, hold
// bytes that are not UTF-8, and print tokens a careless build step echoed.

/** Token shapes worth masking wherever they appear, configured or not. */
const TOKEN_PATTERNS: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g, // GitLab personal access tokens
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, // Slack tokens
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bwhsec_[A-Za-z0-9+/=]{16,}/g, // Standard Webhooks signing secrets
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g, // JWTs
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+(?=@)/gi, // userinfo in URLs of any scheme (a token alone is userinfo too)
  /(\bAuthorization:\s*(?:Bearer|Basic|token)\s+)\S+/gi,
  /(\b(?:password|passwd|secret|token|api[_-]?key)\s*[=:]\s*)[^\s'"]{4,}/gi,
]

export const MASK = '****'

/** Masks every configured value (longest first, so a secret containing another is masked whole) and known token shapes. */
export function maskSecrets(text: string, values: readonly string[]): string {
  let out = text
  for (const v of [...new Set(values)].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(v).join(MASK)
  for (const re of TOKEN_PATTERNS)
    out = out.replace(re, (match: string, prefix?: unknown) => (typeof prefix === 'string' && match.startsWith(prefix) ? prefix + MASK : MASK))
  return out
}

const MAX_LINE = 500
/** Only the end of a log matters; never look at more than this. */
const MAX_SCAN_BYTES = 256 * 1024

/**
 * The last `lines` lines of a log, each cut to 500 characters, decoded as UTF-8 with U+FFFD for
 * bytes that are not, control characters (ANSI colour, NUL) removed, secrets masked.
 */
export function logExcerpt(log: string | Uint8Array | null, lines: number, secrets: readonly string[]): string {
  if (log === null || lines === 0) return ''
  let text: string
  if (typeof log === 'string') text = log.length > MAX_SCAN_BYTES ? log.slice(-MAX_SCAN_BYTES) : log
  else text = new TextDecoder('utf-8', { fatal: false }).decode(log.subarray(Math.max(0, log.byteLength - MAX_SCAN_BYTES)))
  text = text
    .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    // a lone surrogate left by cutting a string in the middle of a pair
    .replace(/^[\udc00-\udfff]/, '')
  // Masked whole, before the lines are cut, so a secret split by a line limit (or a
  // private key over many lines) is still found whole.
  const all = maskSecrets(text, secrets).split('\n')
  while (all.length > 0 && all[all.length - 1]!.trim() === '') all.pop()
  const tail = all.slice(-lines).map((l) => l.trimEnd())
  return tail.map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}…` : l)).join('\n')
}
