// `tamer status test --repo <host>:<owner/repo> --sha <sha>`: a test commit status through the
// configured client of that git host; prints the host's answer.
import { parseArgs } from 'node:util'
import { checkConfig } from '../compose/config.js'
import { loadDraftConfig } from '../config/load.js'
import { ConfigError } from '../errors.js'
import { statusTest } from '../reporting/command.js'
import { withStoredSecretsOf } from '../secrets/stored.js'
import type { CliIo } from './io.js'

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      repo: { type: 'string' },
      sha: { type: 'string' },
      tenant: { type: 'string' },
    },
  })
  if (positionals[0] !== 'test' || !v.repo || !v.sha) {
    io.err('Usage: tamer status test --repo <host>:<owner/repo> --sha <sha> [--tenant NAME] [-c FILE]\n')
    return 1
  }
  try {
    const config = checkConfig(await withStoredSecretsOf(loadDraftConfig({ env: io.env, file: v.config }), io.env))
    return await statusTest(config, { repo: v.repo, sha: v.sha, tenant: v.tenant }, io.out, io.err)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    io.err(`tamer: ${err.message}\n`)
    return 2
  }
}
