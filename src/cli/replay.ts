// `tamer replay <delivery-id>`: run a stored delivery's pipeline again, as a new delivery (new builds,
// notices and statuses; src/pipeline/replay.ts), recorded in the audit log. A running `tamer serve`
// routes it within its tick (15 s), as it does what `tamer run` stores.
import { parseArgs } from 'node:util'
import { loadDraftConfig } from '../config/load.js'
import { replayAudit, replayDelivery } from '../pipeline/replay.js'
import { cliActor } from '../security/command-io.js'
import type { CliIo } from './io.js'
import { openCommandStore } from './store.js'

const USAGE = 'Usage: tamer replay <delivery-id> [-c FILE]\n'

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help || positionals.length !== 1) {
    ;(values.help ? io.out : io.err)(USAGE)
    return values.help ? 0 : 1
  }
  const config = loadDraftConfig({ env: io.env, file: values.config })
  const store = await openCommandStore(config, io)
  try {
    const actor = cliActor(io.env)
    const r = await replayDelivery({ store, now: Date.now, stored: () => {} }, { deliveryId: positionals[0]!, actor })
    await store.recordAudit(replayAudit(r, actor))
    io.out(`replay of ${r.replayOf} stored as delivery ${r.deliveryId}; tamer serve routes it within 15 s\n`)
    return 0
  } finally {
    await store.close()
  }
}
