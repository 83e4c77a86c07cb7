#!/usr/bin/env node
// The `tamer` command.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildApp } from './app.js'
import { checkConfig } from './compose/config.js'
import { loadDraftConfig } from './config/load.js'
import { ConfigError } from './errors.js'
import { createLogger } from './logging.js'
import { secretValues } from './security/secrets.js'
import { masterKeysFromEnv } from './security/master-key.js'
import { cliActor, readStdin, type CommandIo } from './security/command-io.js'
import { secretsCommand } from './secrets/command.js'
import { tokensCommand } from './access/command.js'
import { withStoredSecrets, withStoredSecretsOf } from './secrets/stored.js'
import { openSqliteStore } from './store/sqlite/index.js'
import { gitChangedFiles } from './pipeline/changed-files.js'
import { createPipeline } from './pipeline/index.js'
import { jobsSync, rulesTest } from './pipeline/commands.js'
import { runDiffCommand, runGitDiffDriver } from './cli/diff.js'
import { gitSetup } from './git/setup.js'
import { notifyTest } from './notify/command.js'
import { createNotifier } from './notify/notifier.js'
import { pushDiffSummary } from './notify/notebook-summary.js'
import { pushDiffServiceFromConfig } from './diffs/service.js'
import { wakeOnFinish } from './notify/wake.js'
import { mirrorCacheFromConfig } from './git/mirror.js'
import { serverDiffEngine } from './diffs/engine.js'

const USAGE = `Usage: tamer <command> [options]

Commands:
  serve                    Run the webhook receiver, API and build pipeline (default port 8080)
  rules test <delivery-id> Show which routing rules match a stored delivery, and why
  jobs sync                Create or update the Jenkins jobs of the rules' templates
  notify test --channel NAME [--to ADDRESS]
                           Send a sample notice through one configured channel (email or a chat name)
  diff A.ipynb B.ipynb     Notebook-aware diff (--format text|json|html|markdown, --engine native|nbdime,
                           --ignore-outputs …; see tamer diff --help)
  git-setup [--global]     Make \`git diff\` use Tamer for *.ipynb (diff driver + .gitattributes);
                           --command CMD says how git starts Tamer (default: this tamer)
  secrets set|list|delete|rotate
                           Secrets sealed in the store under TAMER_MASTER_KEY (see tamer secrets --help)
  tokens create|list|revoke
                           API tokens stored hashed, with a scope and tenants (see tamer tokens --help)

Options:
  -c, --config FILE   YAML config file (also TAMER_CONFIG)
  -h, --help          Show this help
`

async function serve(configFile: string | undefined): Promise<void> {
  const loaded = loadDraftConfig({ env: process.env, file: configFile })
  const store = openSqliteStore({
    file: resolve(loaded.dataDir, 'tamer.db'),
    synchronous: loaded.store.sqlite.synchronous,
    maxBatch: loaded.store.sqlite.maxBatch,
  })
  // Secrets sealed in the store (`tamer secrets set`) join those of the file, env and *_FILEs.
  const config = await withStoredSecrets(loaded, store, masterKeysFromEnv(process.env)).then(checkConfig).catch(async (err: unknown) => {
    await store.close()
    throw err
  })
  const logger = createLogger(config.server.logLevel, undefined, { secrets: secretValues(config) })
  const mirrors = mirrorCacheFromConfig(config, resolve(config.dataDir, 'mirrors'))
  // Native diffs run in worker threads here (a big notebook must not stall webhook intake),
  // each notebook time-limited, tenants queued fairly.
  const { engine: diffEngine, notice } = await serverDiffEngine(config)
  if (notice) logger.warn(notice)
  logger.info({ engine: diffEngine.name }, 'notebook diff engine')
  // One service for pages, precompute and notices: each push is diffed once and stored.
  const pushDiffs = pushDiffServiceFromConfig(config, { mirrors, engine: diffEngine, store, logger })
  const notifier = createNotifier({ config, store, logger, notebookSummary: pushDiffSummary(store, pushDiffs) })
  const pipeline = createPipeline({ config, store: wakeOnFinish(store, () => notifier.wake()), logger, changedFiles: gitChangedFiles(mirrors, logger) })
  if (!pipeline.api) logger.warn('no Jenkins configured (TAMER_JENKINS_URL): builds are routed and recorded, not triggered')
  const app = await buildApp({ config, store, logger, pipeline, mirrors, notifier, diffEngine, pushDiffs })
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

/** The notebook-diff commands take their own options, so they are dispatched before the others. */
async function notebookCommand(argv: string[]): Promise<number | null> {
  const io = { stdout: (s: string) => void process.stdout.write(s), stderr: (s: string) => void process.stderr.write(s), color: process.stdout.isTTY === true }
  if (argv[0] === 'diff') return runDiffCommand(argv.slice(1), io)
  if (argv[0] === 'git-diff-driver') return runGitDiffDriver(argv.slice(1), io)
  if (argv[0] !== 'git-setup') return null
  const { values } = parseArgs({ args: argv.slice(1), options: { global: { type: 'boolean' }, command: { type: 'string' } } })
  // By default git starts this very installation: node plus this script, absolute paths.
  const command = values.command ?? [process.execPath, ...process.execArgv, resolve(process.argv[1] ?? 'tamer')].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const r = await gitSetup({ cwd: process.cwd(), global: values.global, command })
  process.stdout.write(`git config ${values.global ? '--global ' : ''}diff.tamer.command = ${r.driver}\n${r.attributesFile}: *.ipynb diff=tamer\n`)
  return 0
}

/** `notify test` takes its own options, so it is dispatched before the others too. */
async function notifyCommand(argv: string[]): Promise<number | null> {
  if (argv[0] !== 'notify' || argv[1] !== 'test') return null
  const { values: v } = parseArgs({ args: argv.slice(2), options: { config: { type: 'string', short: 'c' }, channel: { type: 'string' }, to: { type: 'string', multiple: true } } })
  if (!v.channel) {
    process.stderr.write('tamer: notify test needs --channel NAME\n')
    return 2
  }
  try {
    const config = checkConfig(await withStoredSecretsOf(loadDraftConfig({ env: process.env, file: v.config }), process.env))
    return await notifyTest(config, { channel: v.channel, to: v.to ?? [] }, (s) => void process.stdout.write(s), (s) => void process.stderr.write(s))
  } catch (err) {
    const coded = typeof (err as { code?: unknown }).code === 'string' && String((err as { code: string }).code).startsWith('TAMER_')
    if (!(err instanceof ConfigError) && !coded) throw err
    process.stderr.write(`tamer: ${(err as Error).message}\n`)
    return 2
  }
}

/** The operator commands take their own options too. */
async function operatorCommand(argv: string[]): Promise<number | null> {
  const io: CommandIo = { env: process.env, stdin: readStdin, out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) }
  if (argv[0] === 'secrets') return secretsCommand(argv.slice(1), io)
  if (argv[0] === 'tokens') return tokensCommand(argv.slice(1), io)
  return null
}

export async function main(argv: string[]): Promise<number> {
  const operatorStatus = await operatorCommand(argv)
  if (operatorStatus !== null) return operatorStatus
  const notebookStatus = await notebookCommand(argv)
  if (notebookStatus !== null) return notebookStatus
  const notifyStatus = await notifyCommand(argv)
  if (notifyStatus !== null) return notifyStatus
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
    if (command === 'rules' && positionals[1] === 'test' && positionals[2]) {
      const config = checkConfig(await withStoredSecretsOf(loadDraftConfig({ env: process.env, file: values.config }), process.env))
      const store = openSqliteStore({ file: resolve(config.dataDir, 'tamer.db') })
      try {
        const mirrors = mirrorCacheFromConfig(config, resolve(config.dataDir, 'mirrors'))
        return await rulesTest(config, store, positionals[2], (s) => process.stdout.write(s), gitChangedFiles(mirrors))
      } finally {
        await store.close()
      }
    }
    if (command === 'jobs' && positionals[1] === 'sync') {
      const config = checkConfig(await withStoredSecretsOf(loadDraftConfig({ env: process.env, file: values.config }), process.env))
      const store = openSqliteStore({ file: resolve(config.dataDir, 'tamer.db') })
      try {
        const status = await jobsSync(config, store, (s) => process.stdout.write(s))
        // It creates and rewrites Jenkins jobs: an operator action.
        await store.recordAudit({ actor: cliActor(process.env), action: 'jobs.sync', target: config.jenkins.url, tenant: null, detail: { exitCode: status } })
        return status
      } finally {
        await store.close()
      }
    }
    process.stderr.write(`tamer: unknown command ${command}\n${USAGE}`)
    return 1
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tamer: ${err.message}\n`)
      return 2
    }
    // A stored secret that cannot be opened, a missing master key: say so and stop, as a bad config does.
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('TAMER_')) {
      process.stderr.write(`tamer: ${(err as Error).message} (${code})\n`)
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
