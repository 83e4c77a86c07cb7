// Which PostgreSQL failures mean "cannot commit now" (503 with Retry-After, so the host redelivers)
// rather than a bug (500): the connection is gone or refused, the server is shutting down, out of
// disk or connections, or read-only (a standby). SQLSTATE classes:
// https://www.postgresql.org/docs/15/errcodes-appendix.html
import { StoreUnavailableError } from '../../errors.js'

const CLASSES: Record<string, string> = {
  '08': 'the connection to PostgreSQL failed',
  '53': 'PostgreSQL is out of resources (disk, memory or connections)',
  '57': 'PostgreSQL is shutting down or refused the operation',
  '58': 'PostgreSQL had a system error',
}
const CODES: Record<string, string> = {
  '25006': 'PostgreSQL is read-only (a standby?)',
  '40001': 'a concurrent transaction conflicted',
  '40P01': 'a deadlock was detected',
}
/** Node's errors for a socket that cannot connect or was cut. */
const NETWORK = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/

/** A deadlock or a serialization failure: the transaction was rolled back and may simply be run again. */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === '40P01' || code === '40001'
}

/** Whether the error is the network's or the server's state rather than the statement's. */
export function isUnavailable(err: unknown): boolean {
  return unavailableReason(err) !== null
}

function unavailableReason(err: unknown): string | null {
  const code = (err as { code?: unknown }).code
  const message = (err as Error).message ?? ''
  if (typeof code === 'string') {
    if (NETWORK.test(code)) return `PostgreSQL cannot be reached (${code})`
    if (CODES[code]) return `${CODES[code]} (${code})`
    const klass = CLASSES[code.slice(0, 2)]
    if (klass && code.length === 5) return `${klass} (${code})`
  }
  if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(message))
    return 'the connection to PostgreSQL was lost'
  return null
}

/** The error a failed write rejects with: StoreUnavailableError for the above, else the error itself. */
export function pgFailure(err: unknown): Error {
  if (err instanceof StoreUnavailableError) return err
  const why = unavailableReason(err)
  return why ? new StoreUnavailableError(`${why}; retry later`) : (err as Error)
}
