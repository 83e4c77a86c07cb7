// The verify-only server of bench/intake.ts, in its own process: the app `tamer serve` composes,
// from the same config file, with a store that stores nothing (verify + parse + 202: the ceiling
// of the intake work), or `bare` (a route that answers 202 and reads nothing).
import { randomUUID } from 'node:crypto'
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { composeService } from '../src/compose/index.js'
import { validateConfig } from '../src/config/load.js'
import { openSqliteStore } from '../src/store/sqlite/index.js'
import { nativeEngine } from '../src/engines/engine.js'
import type { ServiceStore } from '../src/store/service-store.js'

const [mode = 'nostore', configFile = ''] = process.argv.slice(2)

/** Nothing is written or read back; the pipeline is held (there is nothing to route). */
function nullStore(s: ServiceStore): ServiceStore {
  return { ...s, recordDelivery: async () => ({ id: randomUUID(), duplicate: false }), listDeliveries: async () => [] }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-bench-'))
  let app
  let store: ServiceStore | undefined
  if (mode === 'bare') {
    app = Fastify()
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_r, body, done) => done(null, body))
    app.post('/hooks/github', async (_req, reply) => reply.code(202).send({ id: randomUUID() }))
  } else {
    const config = validateConfig({ ...JSON.parse(readFileSync(configFile, 'utf8')), dataDir: dir })
    store = openSqliteStore({ file: join(dir, 'tamer.db') })
    app = (
      await composeService(config, {
        store: nullStore(store),
        diffEngine: nativeEngine,
        hold: ['pipeline', 'notifier'],
      })
    ).app
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.send?.({ port: (app.server.address() as { port: number }).port })
  process.on('message', async (msg) => {
    if (msg !== 'stop') return
    await app.close()
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })
}

void main()
