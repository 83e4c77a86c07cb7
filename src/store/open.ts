// The one place a store is opened (issue #16): `store.engine` picks SQLite (a file in dataDir) or
// PostgreSQL (store.url / TAMER_DATABASE_URL). The composition root and every command that needs
// the store call this; each engine's module is loaded only when it is the one configured.
import { resolve } from 'node:path'
import type { Config } from '../config/schema.js'
import { ConfigError } from '../errors.js'
import type { SecurityStore } from './security.js'
import type { ServiceStore } from './service-store.js'

export type StoreConfig = Pick<Config, 'dataDir' | 'store'>

export interface OpenStoreOptions {
  /** What a relative dataDir is relative to (the process's working directory by default). */
  cwd?: string
}

export type Engine = 'sqlite' | 'postgres'

export function engineOf(config: StoreConfig): Engine {
  return config.store.engine
}

/** The SQLite file of a config (dataDir/tamer.db). */
export function sqliteFile(config: StoreConfig, options: OpenStoreOptions = {}): string {
  return resolve(options.cwd ?? process.cwd(), config.dataDir, 'tamer.db')
}

function databaseUrl(config: StoreConfig): string {
  if (!config.store.url)
    throw new ConfigError('store.url', 'is required when store.engine is postgres (or set TAMER_DATABASE_URL)')
  return config.store.url
}

/**
 * Opens the configured store, migrated. PostgreSQL unreachable: TAMER_DATABASE_UNREACHABLE naming
 * host and port (never the password); a database migrated by a newer Tamer: TAMER_SCHEMA_TOO_NEW.
 */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<ServiceStore> {
  if (engineOf(config) === 'postgres') {
    const { openPostgresStore } = await import('./postgres/index.js')
    return openPostgresStore({
      url: databaseUrl(config),
      maxBatch: config.store.postgres.maxBatch,
      poolSize: config.store.postgres.poolSize,
    })
  }
  const { openSqliteStore } = await import('./sqlite/index.js')
  return openSqliteStore({
    file: sqliteFile(config, options),
    synchronous: config.store.sqlite.synchronous,
    maxBatch: config.store.sqlite.maxBatch,
  })
}

/**
 * The security tables alone, for the short-lived operator commands (`tamer secrets`, `tamer
 * tokens`): SQLite's direct connection (no writer thread), or the PostgreSQL store. `null` when
 * `ifExists` and the SQLite file does not exist yet (nothing stored, nothing to read).
 */
export async function openSecurityStoreOf(
  config: StoreConfig,
  options: OpenStoreOptions & { ifExists?: boolean } = {},
): Promise<(SecurityStore & { close(): Promise<void> }) | null> {
  if (engineOf(config) === 'postgres') return openStore(config, options)
  const file = sqliteFile(config, options)
  if (options.ifExists) {
    const { existsSync } = await import('node:fs')
    if (!existsSync(file)) return null
  }
  const { openSecurityStore } = await import('./sqlite/security-store.js')
  return openSecurityStore(file)
}
