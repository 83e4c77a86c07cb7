// Builds the real app on a real SQLite file in a temp dir; closed in teardown.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { validateCheckedConfig } from '../../src/compose/config.js'
import { composeService, type Service, type ServiceIo } from '../../src/compose/index.js'
import type { Config } from '../../src/config/schema.js'
import { createLogger } from '../../src/logging.js'
import { nativeEngine } from '../../src/engines/engine.js'
import type { ServiceStore } from '../../src/store/service-store.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'

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
  store: ServiceStore
  service: Service
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
  /** `dir`: a data dir with a tamer.db already in it (bench/list.ts); removed in teardown like a new one. */
  options: { config?: Config; now?: () => Date; maxBatch?: number; io?: ServiceIo; dir?: string } = {},
): Promise<TestApp> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tamer-test-'))
  const config = options.config ?? testConfig()
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...chunk.toString().split('\n').filter(Boolean))
      cb()
    },
  })
  /**
   * As `tamer serve` composes it (src/compose/), with the native engine in process (no worker
   * threads per test), and the pipeline and notifier held: these tests look at what intake stored
   * and the API shows, before anything routes or sends it (test/support/pipeline-app.ts runs them).
   */
  const open = async () => {
    const store = openSqliteStore({ file: join(dir, 'tamer.db'), maxBatch: options.maxBatch })
    const now = options.now
    const service = await composeService(config, {
      store,
      logger: createLogger('info', sink),
      now: now ? () => now().getTime() : undefined,
      diffEngine: nativeEngine,
      hold: ['pipeline', 'notifier'],
      ...options.io,
    })
    await service.app.ready()
    return { app: service.app, store, service }
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

/**
 * composeService as most tests use it on a store they opened (and close): silent logs unless
 * given, the native engine in process, and the pipeline and notifier held unless `hold` says
 * otherwise (`hold: []` runs both).
 */
export async function composeForTest(config: Config, io: ServiceIo & { store: ServiceStore }): Promise<Service> {
  const service = await composeService(config, {
    logger: createLogger('silent'),
    diffEngine: nativeEngine,
    hold: ['pipeline', 'notifier'],
    ...io,
  })
  await service.app.ready()
  return service
}
