// `tamer migrate`: bring the store's schema up to this Tamer's and exit, for operators who run
// migrations as their own step (a Kubernetes Job or init container before the new pods start).
import { parseArgs } from 'node:util'
import { loadDraftConfig } from '../config/load.js'
import type { CliIo } from './io.js'
import { commandStoreName, openCommandStore } from './store.js'

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } })
  const config = loadDraftConfig({ env: io.env, file: values.config })
  const store = await openCommandStore(config, io)
  await store.close()
  io.out(`store migrated: ${commandStoreName(config, io)}\n`)
  return 0
}
