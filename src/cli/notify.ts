// `tamer notify test --channel NAME [--to ADDRESS]`: a sample notice through one configured channel.
import { parseArgs } from 'node:util'
import { checkConfig } from '../compose/config.js'
import { loadDraftConfig } from '../config/load.js'
import { ConfigError } from '../errors.js'
import { notifyTest } from '../notify/command.js'
import { withStoredSecretsOf } from '../secrets/stored.js'
import type { CliIo } from './io.js'

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      channel: { type: 'string' },
      to: { type: 'string', multiple: true },
    },
  })
  if (positionals[0] !== 'test') {
    io.err('Usage: tamer notify test --channel NAME [--to ADDRESS] [-c FILE]\n')
    return 1
  }
  if (!v.channel) {
    io.err('tamer: notify test needs --channel NAME\n')
    return 2
  }
  try {
    const config = checkConfig(await withStoredSecretsOf(loadDraftConfig({ env: io.env, file: v.config }), io.env))
    return await notifyTest(config, { channel: v.channel, to: v.to ?? [] }, io.out, io.err)
  } catch (err) {
    const coded =
      typeof (err as { code?: unknown }).code === 'string' &&
      String((err as { code: string }).code).startsWith('TAMER_')
    if (!(err instanceof ConfigError) && !coded) throw err
    io.err(`tamer: ${(err as Error).message}\n`)
    return 2
  }
}
