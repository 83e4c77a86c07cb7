// One server for bench/intake.ts, in its own process: durable | nostore | bare.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { composeService } from '../src/compose/index.js'
import { validateConfig } from '../src/config/load.js'
import { openSqliteStore } from '../src/store/sqlite/index.js'
import { nativeEngine } from '../src/engines/engine.js'
import type { ServiceStore } from '../src/store/service-store.js'

export const BENCH_SECRET = 'bench-secret'
const mode = process.argv[2] ?? 'durable'

/** Verify + parse + 202 with no storage: the ceiling for the intake work (nothing is written or read back). */
function nullStore(s: ServiceStore): ServiceStore {
  return { ...s, recordDelivery: async () => ({ id: randomUUID(), duplicate: false }), listDeliveries: async () => [] }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-'))
  // Intake alone: the pushes name a remote that does not exist, so no background diffs.
  // Rate limits far above the load: their counting is measured, never a 429.
  const rateLimit = { hooksPerSource: 1e9, hooksPerTenant: 1e9 }
  const config = validateConfig({
    server: { logLevel: 'silent', rateLimit },
    providers: { github: { secrets: [BENCH_SECRET] } },
    diffs: { precompute: false },
  })
  let app
  let store: ServiceStore | undefined
  if (mode === 'bare') {
    app = Fastify()
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_r, body, done) => done(null, body))
    app.post('/hooks/github', async (_req, reply) => reply.code(202).send({ id: randomUUID() }))
  } else {
    const sqlite = openSqliteStore({
      file: join(dir, 'tamer.db'),
      synchronous: (process.env.BENCH_SYNC as 'FULL' | 'NORMAL') ?? 'FULL',
    })
    store = mode === 'durable' ? sqlite : nullStore(sqlite)
    // As serve composes it; nothing routes (intake alone is measured).
    app = (await composeService(config, { store, diffEngine: nativeEngine, hold: ['pipeline', 'notifier'] })).app
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  process.send?.({ port })
  process.on('message', async (msg) => {
    if (msg === 'count' && store) {
      const n = (await store.listDeliveries({ limit: 1_000_000 })).length
      process.send?.({ stored: n })
    }
    if (msg === 'stop') {
      await app.close()
      await store?.close()
      rmSync(dir, { recursive: true, force: true })
      process.exit(0)
    }
  })
}

void main()
