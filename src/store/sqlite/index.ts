// SQLite store (WAL). Writes are group-committed: every delivery that arrives while a
// commit is in flight joins the next transaction, so synchronous=FULL (a 2xx survives
// power loss) costs one fsync per batch instead of one per delivery.
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import type { DeliveryQuery, DeliveryStore, NewDelivery, RecordResult, StoredDelivery } from '../store.js'
import { migrate } from './migrations.js'

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  file: string
  synchronous?: 'FULL' | 'NORMAL'
  maxBatch?: number
}

interface Pending {
  delivery: NewDelivery
  resolve: (r: RecordResult) => void
  reject: (e: unknown) => void
}

interface Row {
  seq: number
  id: string
  provider: string
  dedupe_key: string
  host_delivery_id: string | null
  event_type: string
  tenant: string
  repository: string | null
  status: string
  headers: string
  normalized: string
  received_at: string
  updated_at: string
}

const COLUMNS =
  'seq, id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status, headers, normalized, received_at, updated_at'

function toDelivery(row: Row): StoredDelivery {
  return {
    seq: row.seq,
    id: row.id,
    provider: row.provider as StoredDelivery['provider'],
    dedupeKey: row.dedupe_key,
    hostDeliveryId: row.host_delivery_id,
    eventType: row.event_type,
    tenant: row.tenant,
    repository: row.repository,
    status: row.status as StoredDelivery['status'],
    headers: JSON.parse(row.headers),
    normalized: JSON.parse(row.normalized),
    receivedAt: row.received_at,
    updatedAt: row.updated_at,
  }
}

export function openSqliteStore(options: SqliteStoreOptions): DeliveryStore {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true })
  const db = new BetterSqlite3(options.file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`)
  db.pragma('busy_timeout = 5000')
  migrate(db)
  const maxBatch = options.maxBatch ?? 256

  const insert = db.prepare(
    `INSERT INTO deliveries (id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status,
       headers, body, normalized, received_at, updated_at)
     VALUES (@id, @provider, @dedupeKey, @hostDeliveryId, @eventType, @tenant, @repository, @status,
       @headers, @body, @normalized, @receivedAt, @receivedAt)
     ON CONFLICT (provider, dedupe_key) DO NOTHING RETURNING id`,
  )
  const existing = db.prepare('SELECT id FROM deliveries WHERE provider = ? AND dedupe_key = ?').pluck()
  const byId = db.prepare(`SELECT ${COLUMNS} FROM deliveries WHERE id = ?`)
  const heartbeat = db.prepare(
    'INSERT INTO heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
  )

  const commitBatch = db.transaction((batch: Pending[]): RecordResult[] =>
    batch.map(({ delivery: d }) => {
      const row = insert.get({
        id: randomUUID(),
        provider: d.provider,
        dedupeKey: d.dedupeKey,
        hostDeliveryId: d.hostDeliveryId,
        eventType: d.eventType,
        tenant: d.tenant,
        repository: d.repository,
        status: d.status,
        headers: JSON.stringify(d.headers),
        body: d.body,
        normalized: JSON.stringify(d.normalized),
        receivedAt: d.receivedAt,
      }) as { id: string } | undefined
      if (row) return { id: row.id, duplicate: false }
      return { id: existing.get(d.provider, d.dedupeKey) as string, duplicate: true }
    }),
  )

  let queue: Pending[] = []
  let scheduled = false
  let closed = false

  const flush = () => {
    scheduled = false
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      let results: RecordResult[]
      try {
        results = commitBatch(batch)
      } catch (err) {
        for (const p of batch) p.reject(err)
        continue
      }
      batch.forEach((p, i) => p.resolve(results[i]!))
    }
  }

  return {
    recordDelivery(delivery) {
      if (closed) return Promise.reject(new Error('store is closed'))
      return new Promise<RecordResult>((resolve, reject) => {
        queue.push({ delivery, resolve, reject })
        if (!scheduled) {
          scheduled = true
          // setImmediate runs after the current I/O phase, so every request parsed in it joins this batch.
          setImmediate(flush)
        }
      })
    },
    async getDelivery(id) {
      const row = byId.get(id) as Row | undefined
      return row ? toDelivery(row) : null
    },
    async listDeliveries(q: DeliveryQuery) {
      const where: string[] = []
      const params: unknown[] = []
      if (q.provider) (where.push('provider = ?'), params.push(q.provider))
      if (q.repository) (where.push('repository = ?'), params.push(q.repository))
      if (q.status) (where.push('status = ?'), params.push(q.status))
      if (q.before !== undefined) (where.push('seq < ?'), params.push(q.before))
      if (q.tenants) {
        if (q.tenants.length === 0) return []
        where.push(`tenant IN (${q.tenants.map(() => '?').join(', ')})`)
        params.push(...q.tenants)
      }
      const sql = `SELECT ${COLUMNS} FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY seq DESC LIMIT ?`
      return (db.prepare(sql).all(...params, q.limit) as Row[]).map(toDelivery)
    },
    async checkWritable() {
      heartbeat.run(new Date().toISOString())
    },
    async close() {
      if (closed) return
      closed = true
      flush()
      db.close()
    },
  }
}
