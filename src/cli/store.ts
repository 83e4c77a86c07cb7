// The store a one-shot command opens (replay, dead-letters, migrate): the one `tamer serve` runs on
// (store.engine: SQLite in dataDir, or PostgreSQL). Opening it runs the migrations.
import type { Config } from '../config/schema.js'
import type { ServiceStore } from '../store/service-store.js'
import { engineOf, openStore, sqliteFile } from '../store/open.js'
import type { CliIo } from './io.js'

export function openCommandStore(
  config: Pick<Config, 'dataDir' | 'store'>,
  io: Pick<CliIo, 'cwd'>,
): Promise<ServiceStore> {
  return openStore(config, { cwd: io.cwd })
}

/** Which store that is, for messages (never the database URL: it may hold a password). */
export const commandStoreName = (config: Pick<Config, 'dataDir' | 'store'>, io: Pick<CliIo, 'cwd'>) =>
  engineOf(config) === 'sqlite' ? `sqlite ${sqliteFile(config, { cwd: io.cwd })}` : 'postgres'
