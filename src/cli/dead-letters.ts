// `tamer dead-letters [--retry]`: the work Tamer gave up on, across its outboxes: notices and posts to
// git hosts that are `dead`, builds that are `refused`. --retry puts each back to pending with fresh
// attempts (audited, one entry per letter); a running `tamer serve` picks them up on its next scan.
import { parseArgs } from 'node:util'
import { loadDraftConfig } from '../config/load.js'
import { cliActor } from '../security/command-io.js'
import type { ServiceStore } from '../store/service-store.js'
import type { DeadLetter } from '../store/ops.js'
import type { CliIo } from './io.js'
import { openCommandStore } from './store.js'

const USAGE = 'Usage: tamer dead-letters [--retry] [--limit N] [--json] [-c FILE]\n'

/** Back to pending; false when it is no longer a dead letter (someone retried it first). */
async function retry(store: ServiceStore, l: DeadLetter): Promise<boolean> {
  // Due at once (null), whatever the serving process's clock says.
  const fresh = { attempts: 0, nextAttemptAt: null, lastError: null }
  if (l.kind === 'notification') return store.updateNotification(l.id, 'dead', { state: 'pending', ...fresh })
  if (l.kind === 'host-post') return store.updateHostPost(l.id, 'dead', { state: 'pending', ...fresh })
  if (l.kind === 'delivery') return store.retryDelivery(l.id)
  const b = await store.getBuild(l.id)
  if (b?.state !== 'refused') return false
  await store.updateBuild(l.id, { state: 'pending', ...fresh })
  return true
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      retry: { type: 'boolean' },
      json: { type: 'boolean' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const limit = Number(values.limit ?? 200)
  if (values.help || positionals.length > 0 || !Number.isInteger(limit) || limit < 1) {
    ;(values.help ? io.out : io.err)(USAGE)
    return values.help ? 0 : 1
  }
  const config = loadDraftConfig({ env: io.env, file: values.config })
  const store = await openCommandStore(config, io)
  try {
    const letters = await store.deadLetters(limit)
    if (values.json) io.out(JSON.stringify(letters, null, 2) + '\n')
    else if (letters.length === 0) io.out('no dead letters\n')
    else
      for (const l of letters)
        io.out(
          `${l.kind}\t${l.id}\t${l.tenant}\t${l.target}\tattempts ${l.attempts}\t${l.updatedAt}\t${l.lastError ?? ''}\n`,
        )
    if (!values.retry) return 0
    const actor = cliActor(io.env)
    let moved = 0
    for (const l of letters) {
      if (!(await retry(store, l))) continue
      moved++
      await store.recordAudit({
        actor,
        action: 'dead-letter.retry',
        target: l.id,
        tenant: l.tenant,
        detail: { kind: l.kind, target: l.target },
      })
    }
    io.err(`${moved} of ${letters.length} put back to pending; tamer serve sends them on its next scan\n`)
    return 0
  } finally {
    await store.close()
  }
}
