// `tamer run <repo> <branch> [--rule NAME] [--job JOB] [--param NAME=VALUE …]`: runs a rule's job on
// a branch's head (issue #14), through the same durable path as a push: the run is stored in the
// store like a delivery (exactly once), and `tamer serve` routes, triggers, follows and notifies it
// within its next tick (15 s). In the audit log.
import { parseArgs } from 'node:util'
import { checkConfig } from '../compose/config.js'
import { loadDraftConfig } from '../config/load.js'
import { requestRun, runAudit } from '../pipeline/runs.js'
import { withStoredSecretsOf } from '../secrets/stored.js'
import { cliActor } from '../security/command-io.js'
import { openStore } from '../store/open.js'
import { catchUpBranchRegistry } from './branch-registry.js'
import type { CliIo } from './io.js'

const USAGE = 'Usage: tamer run <owner/repo> <branch> [--rule NAME | --job JOB] [--param NAME=VALUE …] [-c FILE]\n'

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      rule: { type: 'string' },
      job: { type: 'string' },
      param: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help || positionals.length !== 2) {
    ;(values.help ? io.out : io.err)(USAGE)
    return values.help ? 0 : 1
  }
  const [repository, branch] = positionals as [string, string]
  const parameters: Record<string, string> = {}
  for (const p of values.param ?? []) {
    const at = p.indexOf('=')
    if (at <= 0) {
      io.err(`tamer: --param takes NAME=VALUE, got ${JSON.stringify(p)}\n`)
      return 1
    }
    parameters[p.slice(0, at)] = p.slice(at + 1)
  }
  const config = checkConfig(await withStoredSecretsOf(loadDraftConfig({ env: io.env, file: values.config }), io.env))
  const store = await openStore(config, { cwd: io.cwd })
  try {
    // The registry takes the pushes stored so far first (what a running server may not have taken yet).
    await catchUpBranchRegistry(config, store, io.cwd)
    const actor = cliActor(io.env)
    const a = await requestRun(
      { config, store, now: Date.now },
      { repository, branch, rule: values.rule, job: values.job, parameters, by: 'cli', actor },
    )
    await store.recordAudit(runAudit(a, actor))
    io.out(
      `run ${a.deliveryId}: rule ${a.rule}, job ${a.job}, ${a.repository} ${JSON.stringify(a.branch)} at ${a.commitSha}\n` +
        'tamer serve starts it within 15 s; follow it with GET /api/builds?delivery=' +
        `${a.deliveryId}\n`,
    )
    return 0
  } finally {
    await store.close()
  }
}
