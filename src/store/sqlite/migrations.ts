// Versioned schema migrations; each runs once, in order, inside a transaction.
import type { Database } from 'better-sqlite3'

export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'deliveries',
    sql: `
      CREATE TABLE deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        host_delivery_id TEXT,
        event_type TEXT NOT NULL,
        tenant TEXT NOT NULL,
        repository TEXT,
        status TEXT NOT NULL,
        headers TEXT NOT NULL,
        body BLOB NOT NULL,
        normalized TEXT NOT NULL,
        received_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (provider, dedupe_key)
      );
      CREATE INDEX deliveries_tenant_seq ON deliveries (tenant, seq);
      CREATE INDEX deliveries_repository_seq ON deliveries (repository, seq);
      CREATE INDEX deliveries_status_seq ON deliveries (status, seq);
      CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);
    `,
  },
]

export function migrate(db: Database): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
  )
  const ran: number[] = []
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue
    db.transaction(() => {
      db.exec(m.sql)
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      )
    })()
    ran.push(m.version)
  }
  return ran
}
