// Builds the real app on a real SQLite file in a temp dir; closed in teardown.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { validateCheckedConfig } from '../../src/compose/config.js'
import type { Config } from '../../src/config/schema.js'
import { createLogger } from '../../src/logging.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import type { DeliveryStore } from '../../src/store/store.js'

export const SECRETS = {
  github: 'gh-test-secret',
  gitlab: 'gl-test-token',
  gitlabSigning: 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64'),
  bitbucket: 'bb-test-secret',
  api: 'api-test-token-0001',
}

/**
 * Diffs are not precomputed unless a test says `diffs: { precompute: true }`: the payloads'
 * clone URLs are not real, and a clone per delivery would cost time (and reach the network).
 * Pages wait up to 25 s for a diff (not 2), so a loaded machine does not turn a test's first view
 * into a 202; the in-progress answer is tested with `pageWaitMs: 0` (test/http/diffs-busy.test.ts).
 */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return validateCheckedConfig({
    server: { logLevel: 'info' },
    dataDir: '/nonexistent',
    api: { tokens: [SECRETS.api] },
    providers: {
      github: { secrets: [SECRETS.github] },
      gitlab: { tokens: [SECRETS.gitlab], signingTokens: [SECRETS.gitlabSigning] },
      bitbucket: { secrets: [SECRETS.bitbucket] },
    },
    // The public hosts plus the self-hosted ones the fixtures' payloads come from (test/support/payloads.ts).
    git: {
      hosts: [
        { provider: 'github', url: 'https://github.com' },
        { provider: 'gitlab', url: 'https://gitlab.com' },
        { provider: 'gitlab', url: 'https://gitlab.example.com' },
        { provider: 'bitbucket-cloud', url: 'https://bitbucket.org' },
        { provider: 'bitbucket-server', url: 'https://bitbucket.example.com/scm' },
      ],
    },
    ...overrides,
    diffs: { precompute: false, pageWaitMs: 25_000, ...(overrides.diffs as Record<string, unknown> | undefined) },
  })
}

export interface TestApp {
  app: FastifyInstance
  store: DeliveryStore
  dir: string
  logs: string[]
  /** Closes app and store and opens them again on the same data dir. */
  restart(): Promise<void>
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function startTestApp(
  t: Teardown,
  options: { config?: Config; now?: () => Date; maxBatch?: number } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-test-'))
  const config = options.config ?? testConfig()
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...chunk.toString().split('\n').filter(Boolean))
      cb()
    },
  })
  const open = async () => {
    const store = openSqliteStore({ file: join(dir, 'tamer.db'), maxBatch: options.maxBatch })
    const app = await buildApp({ config, store, logger: createLogger('info', sink), now: options.now })
    await app.ready()
    return { app, store }
  }
  const state: TestApp = {
    ...(await open()),
    dir,
    logs,
    async restart() {
      await state.app.close()
      await state.store.close()
      Object.assign(state, await open())
    },
  }
  t.teardown(async () => {
    await state.app.close()
    await state.store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return state
}
