// `tamer rules test <delivery-id>`: which routing rules match a stored delivery, and why.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { checkConfig } from '../compose/config.js'
import { loadDraftConfig } from '../config/load.js'
import { mirrorCacheFromConfig } from '../git/mirror.js'
import { gitChangedFiles } from '../pipeline/changed-files.js'
import { rulesTest } from '../pipeline/commands.js'
import { withStoredSecretsOf } from '../secrets/stored.js'
import { openSqliteStore } from '../store/sqlite/index.js'

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' } },
  })
  const [sub, deliveryId] = positionals
  if (sub !== 'test' || !deliveryId) {
    process.stderr.write('Usage: tamer rules test <delivery-id> [-c FILE]\n')
    return 1
  }
  const config = checkConfig(
    await withStoredSecretsOf(loadDraftConfig({ env: process.env, file: values.config }), process.env),
  )
  const store = openSqliteStore({ file: resolve(config.dataDir, 'tamer.db') })
  try {
    const mirrors = mirrorCacheFromConfig(config, resolve(config.dataDir, 'mirrors'))
    return await rulesTest(config, store, deliveryId, (s) => process.stdout.write(s), gitChangedFiles(mirrors))
  } finally {
    await store.close()
  }
}
