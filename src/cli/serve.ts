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
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down')
    await service.close()
    await store.close()
    process.exit(0)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
  await service.listen()
  return -1 // keeps running
}
