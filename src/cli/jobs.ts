// `tamer jobs sync`: create or update the Jenkins jobs of the rules' templates (in the audit log).
import { parseArgs } from 'node:util'
import { checkConfig } from '../compose/config.js'
import { loadDraftConfig } from '../config/load.js'
import { jobsSync } from '../pipeline/commands.js'
import { withStoredSecretsOf } from '../secrets/stored.js'
import { cliActor } from '../security/command-io.js'
import { openStore } from '../store/open.js'
import { catchUpBranchRegistry } from './branch-registry.js'
import type { CliIo } from './io.js'

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' } },
  })
  if (positionals[0] !== 'sync') {
    io.err('Usage: tamer jobs sync [-c FILE]\n')
    return 1
  }
  const config = checkConfig(await withStoredSecretsOf(loadDraftConfig({ env: io.env, file: values.config }), io.env))
  const store = await openStore(config, { cwd: io.cwd })
  try {
    // The registry takes the pushes stored so far first (what a running server may not have taken yet), or a
    // job would lose a branch pushed a moment ago from its choices until the server's registry takes it.
    const catchUp = () => catchUpBranchRegistry(config, store, io.cwd)
    const status = await jobsSync(config, store, io.out, { catchUp })
    // It creates and rewrites Jenkins jobs: an operator action.
    await store.recordAudit({
      actor: cliActor(io.env),
      action: 'jobs.sync',
      target: config.jenkins.url,
      tenant: null,
      detail: { exitCode: status },
    })
    return status
  } finally {
    await store.close()
  }
}
