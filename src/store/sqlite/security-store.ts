// The security tables alone over one direct connection, for the operator commands (`tamer
// secrets`, `tamer tokens`): a short-lived process needs no writer thread. A running server's
// writer and this connection take turns through SQLite's own locking (WAL, busy_timeout).
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import type { SecurityStore } from '../security.js'
import { migrate } from './migrations.js'
import { createSecurityReads } from './security-reads.js'
import { createSecurityWrites, securityWrites, type SecurityWriteOp } from './security-writes.js'

export function openSecurityStore(file: string): SecurityStore & { close(): Promise<void> } {
  mkdirSync(dirname(file), { recursive: true })
  const db = new BetterSqlite3(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')
  migrate(db)
  const apply = createSecurityWrites(db)
  const commit = db.transaction((op: SecurityWriteOp) => apply(op))
  return {
    ...createSecurityReads(db),
    ...securityWrites(async (op) => commit(op)),
    async close() {
      db.close()
    },
  }
}
