#!/usr/bin/env node
// The `tamer` command.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildApp } from './app.js'
import { loadConfig } from './config/load.js'
import { ConfigError } from './errors.js'
import { createLogger } from './logging.js'
import { openSqliteStore } from './store/sqlite/index.js'

const USAGE = `Usage: tamer <command> [options]

Commands:
  serve            Run the webhook receiver and API (default port 8080)

Options:
  -c, --config FILE   YAML config file (also TAMER_CONFIG)
  -h, --help          Show this help
`

async function serve(configFile: string | undefined): Promise<void> {
  const config = loadConfig({ env: process.env, file: configFile })
  const logger = createLogger(config.server.logLevel)
  const store = openSqliteStore({
    file: resolve(config.dataDir, 'tamer.db'),
    synchronous: config.store.sqlite.synchronous,
    maxBatch: config.store.sqlite.maxBatch,
  })
  const app = await buildApp({ config, store, logger })
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down')
    await app.close()
    await store.close()
    process.exit(0)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
  await app.listen({ host: config.server.host, port: config.server.port })
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  })
  const command = positionals[0]
  if (values.help || !command) {
    process.stdout.write(USAGE)
    return values.help ? 0 : 1
  }
  try {
    if (command === 'serve') {
      await serve(values.config)
      return -1 // keeps running
    }
    process.stderr.write(`tamer: unknown command ${command}\n${USAGE}`)
    return 1
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tamer: ${err.message}\n`)
      return 2
    }
    throw err
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (err) => {
    process.stderr.write(`tamer: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  },
)
