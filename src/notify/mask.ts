// Console logs in notices: bounded, valid text, and no secrets. A log can be 100 MB, hold
// bytes that are not UTF-8, and print tokens a careless build step echoed. What is secret is
// defined once, in src/security/secrets.ts.
import { maskSecrets } from '../security/secrets.js'

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
  else
    text = new TextDecoder('utf-8', { fatal: false }).decode(log.subarray(Math.max(0, log.byteLength - MAX_SCAN_BYTES)))
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
