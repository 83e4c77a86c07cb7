// The store a one-shot command opens (replay, dead-letters, migrate): the one `tamer serve` runs on.
// Opening it runs the migrations. When the PostgreSQL engine lands (issue #16), its factory goes here.
import { resolve } from 'node:path'
import type { Config } from '../config/schema.js'
import type { ServiceStore } from '../store/service-store.js'
import { openSqliteStore } from '../store/sqlite/index.js'
import type { CliIo } from './io.js'

export function openCommandStore(config: Pick<Config, 'dataDir' | 'store'>, io: Pick<CliIo, 'cwd'>): ServiceStore {
  return openSqliteStore({
    file: resolve(io.cwd, config.dataDir, 'tamer.db'),
    synchronous: config.store.sqlite.synchronous,
  })
}

/** Where that store is, for messages. */
export const commandStoreName = (config: Pick<Config, 'dataDir'>, io: Pick<CliIo, 'cwd'>) =>
  `sqlite ${resolve(io.cwd, config.dataDir, 'tamer.db')}`
