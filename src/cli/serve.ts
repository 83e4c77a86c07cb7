// `tamer serve`: the checked config (the file, env and *_FILEs, plus the secrets sealed in the
// store, checked by every domain: src/compose/config.ts), composed (src/compose/), listening; stopped and closed on
// SIGTERM or SIGINT.
import { parseArgs } from 'node:util'
import { checkConfig } from '../compose/config.js'
import { composeService } from '../compose/index.js'
import { loadDraftConfig } from '../config/load.js'
import { masterKeysFromEnv } from '../security/master-key.js'
import { withStoredSecrets } from '../secrets/stored.js'
import { openStore } from '../store/open.js'
import type { CliIo } from './io.js'

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } })
  const loaded = loadDraftConfig({ env: io.env, file: values.config })
  // The store is opened first: secrets sealed in it (`tamer secrets set`) complete the config.
  const store = await openStore(loaded)
  let service
  try {
    const config = checkConfig(await withStoredSecrets(loaded, store, masterKeysFromEnv(io.env)))
    service = await composeService(config, { store })
  } catch (err) {
    await store.close()
    throw err
  }
  const { logger } = service
  // Graceful stop: /readyz answers 503 while requests are still served (server.drainDelayMs), then the
  // listener closes after the requests in flight, the units stop after their steps in flight (all state
  // is in the store, so a step cut short is resumed by the next start), and the store closes. Bounded
  // by server.shutdownTimeoutMs (Kubernetes' default grace period is 30 s before its SIGKILL).
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    const { drainDelayMs, shutdownTimeoutMs } = service.config.server
    logger.info({ signal, drainDelayMs, shutdownTimeoutMs }, 'draining: /readyz answers 503')
    setTimeout(() => {
      logger.error({ shutdownTimeoutMs }, 'shutdown took too long: exiting now')
      process.exit(1)
    }, shutdownTimeoutMs)
    await service.drain()
    logger.info('closing: no new connections; finishing what is in flight')
    await service.close()
    await store.close()
    logger.info('stopped')
    process.exit(0)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
  await service.listen()
  return -1 // keeps running
}
