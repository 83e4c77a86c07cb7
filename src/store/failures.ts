// Which store failures mean "cannot commit now" (503 with Retry-After, so the host redelivers)
// rather than a bug (500). Codes: https://www.sqlite.org/rescode.html
import { StoreUnavailableError } from '../errors.js'

const UNAVAILABLE: Record<string, string> = {
  SQLITE_FULL: 'the disk (or the database size cap) is full',
  SQLITE_BUSY: 'the database is locked by another process',
  SQLITE_LOCKED: 'the database is locked',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_IOERR: 'the disk failed a read or write',
  SQLITE_CANTOPEN: 'the database file cannot be opened',
}

/** How long a host should wait before redelivering when the store cannot commit. */
export const STORE_RETRY_AFTER_SECONDS = 30

/**
 * The error for a failed write: StoreUnavailableError for the codes above (extended codes included), else a plain
 * Error.
 */
export function storeFailure(message: string, code: string | undefined): Error {
  const primary = code?.match(/^SQLITE_[A-Z]+/)?.[0]
  const why = primary === undefined ? undefined : UNAVAILABLE[primary]
  return why ? new StoreUnavailableError(`${why} (${code}); retry later`) : new Error(message)
}
