// The one HTTP call of every chat channel: POST JSON, bounded in time, failures classified.
import { SendFailure, type SendReceipt } from '../channel.js'

export interface HttpPostOptions {
  timeoutMs: number
  now?: () => number
  headers?: Record<string, string>
}

/** `Retry-After: 120` or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (!value) return null
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

/**
 * 2xx: taken. 408, 425, 429, 5xx, network errors and timeouts: worth another try. Any other
 * 4xx (a wrong or revoked webhook URL, a payload the platform refuses) will not get better
 * by itself: it becomes a dead letter at once, to be re-sent after a fix.
 */
export async function postJson(url: string, body: string, o: HttpPostOptions): Promise<SendReceipt> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Tamer', ...o.headers },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(o.timeoutMs),
    })
  } catch (err) {
    const e = err as Error
    const timeout = e.name === 'TimeoutError' || e.name === 'AbortError'
    // The message never includes the URL: incoming-webhook URLs are credentials.
    throw new SendFailure(timeout ? `no answer within ${o.timeoutMs} ms` : `unreachable (${causeCode(e)})`, true)
  }
  // Slack answers `ok` as text; others JSON or nothing. Read a little, for the error message.
  const text = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ').trim()
  if (res.ok) return { acceptedBy: `HTTP ${res.status}` }
  const retryable = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500
  const after = retryAfterMs(res.headers.get('retry-after'), (o.now ?? Date.now)())
  throw new SendFailure(`HTTP ${res.status}${text ? `: ${text}` : ''}`, retryable, after)
}

function causeCode(e: Error): string {
  const cause = (e as { cause?: { code?: string } }).cause
  return cause?.code ?? 'network error'
}
