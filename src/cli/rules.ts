// `tamer rules test <id>`: which routing rules match a stored delivery, and why. The id is Tamer's
// delivery id or the host's delivery GUID (GitHub's "Recent deliveries", X-GitHub-Delivery).
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { checkConfig } from '../compose/config.js'
import { loadDraftConfig } from '../config/load.js'
import { mirrorCacheFromConfig } from '../git/mirror.js'
import { gitChangedFiles } from '../pipeline/changed-files.js'
import { rulesTest } from '../pipeline/commands.js'
import { withStoredSecretsOf } from '../secrets/stored.js'
import { openStore } from '../store/open.js'
import type { CliIo } from './io.js'

export const RULES_USAGE = `Usage: tamer rules test <id> [-c FILE]
  Shows which routing rules match a stored delivery, and why.
  <id> is Tamer's delivery id (the API's deliveryId) or the host's delivery GUID
  (GitHub's "Recent deliveries", X-GitHub-Delivery, X-Gitlab-Event-UUID, X-Request-UUID).
`

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  })
  const [sub, deliveryId] = positionals
  if (values.help) {
    io.out(RULES_USAGE)
    return 0
  }
  if (sub !== 'test' || !deliveryId) {
    io.err(RULES_USAGE)
    return 1
  }
  const config = checkConfig(await withStoredSecretsOf(loadDraftConfig({ env: io.env, file: values.config }), io.env))
  const store = await openStore(config, { cwd: io.cwd })
  try {
    const mirrors = mirrorCacheFromConfig(config, resolve(io.cwd, config.dataDir, 'mirrors'))
    return await rulesTest(config, store, deliveryId, io.out, gitChangedFiles(mirrors))
  } finally {
    await store.close()
  }
}
