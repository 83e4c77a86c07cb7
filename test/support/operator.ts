// Operator-command helpers for the secrets, tokens and audit tests: a config file with two
// tenants in a temp dir, the commands run in process, and the app `tamer serve` would start.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { checkConfig } from '../../src/compose/config.js'
import { composeService } from '../../src/compose/index.js'
import { loadDraftConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'
import { createLogger } from '../../src/logging.js'
import { nativeEngine } from '../../src/engines/engine.js'
import { masterKeysFromEnv } from '../../src/security/master-key.js'
import { secretsCommand } from '../../src/cli/secrets.js'
import { tokensCommand } from '../../src/cli/tokens.js'
import type { CommandIo } from '../../src/security/command-io.js'
import { withStoredSecrets } from '../../src/secrets/stored.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import * as P from './payloads.js'
import { signedGitHub } from './sign.js'

export const KEY_A = randomBytes(32).toString('base64')
export const KEY_B = randomBytes(32).toString('hex')

export function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-at-rest-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A config file with two tenants, in its own data dir. */
export function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'tamer.yaml')
  writeFileSync(
    file,
    stringify({
      dataDir: join(dir, 'data'),
      server: { logLevel: 'silent' },
      tenants: [
        { name: 'risk', repositories: ['risk-team/*'] },
        { name: 'ds', repositories: ['acme-ds/*'] },
      ],
      providers: { github: { secrets: ['shared-file-secret'] } },
      diffs: { precompute: false },
      ...extra,
    }),
  )
  return file
}

export interface Run {
  code: number
  out: string
  err: string
}

/** Runs an operator command in process as `ops-alice`. */
export async function operator(
  command: (argv: string[], io: CommandIo) => Promise<number>,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin = '',
): Promise<Run> {
  let out = ''
  let err = ''
  const code = await command(args, {
    env,
    stdin: async () => stdin,
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    user: 'ops-alice',
  })
  return { code, out, err }
}

export const tokens = (args: string[], env: NodeJS.ProcessEnv = {}) => operator(tokensCommand, args, env)

export const secrets = (args: string[], env: NodeJS.ProcessEnv, stdin = '') =>
  operator(secretsCommand, args, env, stdin)

/** The app `tamer serve` would run with this env: loaded config plus the stored secrets. */
export async function serveLike(t: { teardown(fn: () => unknown): void }, env: NodeJS.ProcessEnv, file: string) {
  const loaded = loadDraftConfig({ env, file })
  const store = openSqliteStore({ file: join(loaded.dataDir, 'tamer.db') })
  let config: Config
  try {
    config = checkConfig(await withStoredSecrets(loaded, store, masterKeysFromEnv(env)))
  } catch (err) {
    await store.close()
    throw err
  }
  // As serve composes it; the in-process engine, and nothing routes or sends (these tests look at intake and the API).
  const { app } = await composeService(config, {
    store,
    logger: createLogger('silent'),
    diffEngine: nativeEngine,
    hold: ['pipeline', 'notifier'],
  })
  t.teardown(async () => {
    await app.close()
    await store.close()
  })
  return { app, store, config }
}

export const pushFor = (repo: string, secret: string) => {
  const [owner, name] = repo.split('/')
  const d = signedGitHub(
    'push',
    P.githubPush({
      repository: {
        ...P.githubPush().repository,
        full_name: repo,
        name,
        owner: { name: owner, login: owner },
        clone_url: `https://github.com/${repo}.git`,
      },
    }),
    { secret },
  )
  return { method: 'POST' as const, url: '/hooks/github', headers: d.headers, payload: d.body }
}
