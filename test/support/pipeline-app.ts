// The service as `tamer serve` composes it (src/compose/): real app + real SQLite + the real
// pipeline, talking to the Jenkins emulator, on one ManualClock: tests move time with
// `advance(ms)` and run due work with `drain()`. The notifier is held unless `notifier: true`
// (test/support/notify/harness.ts runs it).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { composeService, type Service, type ServiceIo } from '../../src/compose/index.js'
import type { Config } from '../../src/config/schema.js'
import { createLogger } from '../../src/logging.js'
import { nativeEngine } from '../../src/engines/engine.js'
import { noChangedFiles } from '../../src/pipeline/changed-files.js'
import type { Pipeline } from '../../src/pipeline/index.js'
import { manualTimers, type Timers } from '../../src/work/timers.js'
import type { BuildRecord } from '../../src/store/builds.js'
import type { ServiceStore } from '../../src/store/service-store.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { SECRETS, testConfig } from './app.js'
import {
  DEFAULT_USER,
  ManualClock,
  startJenkinsEmulator,
  type JenkinsEmulator,
  type JenkinsEmulatorOptions,
} from '../../src/demo/jenkins-emulator/index.js'
import { githubPush } from './payloads.js'
import { signedGitHub } from './sign.js'

export const CALLBACK_SECRET = 'callback-test-secret'

export const DS_RULE = {
  name: 'data science',
  repository: 'acme-ds/*',
  branch: 'main|release/.*',
  events: ['push'],
  template: 'tests-only',
  job: 'ds/{repo}/{branch}',
}

export interface PipelineHarness {
  app: FastifyInstance
  store: ServiceStore
  service: Service
  config: Config
  pipeline: Pipeline
  jenkins: JenkinsEmulator
  clock: ManualClock
  logs: string[]
  advance(ms: number): void
  drain(): Promise<void>
  push(over?: Record<string, unknown>, delivery?: string): Promise<{ statusCode: number; id: string }>
  builds(): Promise<BuildRecord[]>
  /** Stop app and pipeline (a crash, as far as Jenkins can tell) and start both again on the same data. */
  /**
   * `holdPipeline`: the new pipeline is built but not started, so the test sees what the crash left before
   * anything resumes it (drain() still drives it).
   */
  restart(opts?: { store?: (s: ServiceStore) => ServiceStore; holdPipeline?: boolean }): Promise<void>
  jenkinsRequests(): string[]
  /** The data dir: the store is <dir>/tamer.db (for `tamer` commands run against it). */
  dir: string
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function startPipelineApp(
  t: Teardown,
  o: {
    rules?: unknown[]
    jenkins?: Record<string, unknown> | null
    emulator?: JenkinsEmulatorOptions
    wrapStore?: (s: ServiceStore) => ServiceStore
    config?: Record<string, unknown>
    /** Run the notifier too (started, woken by buildFinished); held otherwise. */
    notifier?: boolean
    /** Opens the store (again after a restart); default: SQLite in the harness's temp dir. */
    openStore?: () => Promise<ServiceStore>
    io?: ServiceIo
    /** What the workers wait with; default: timers that never fire (the test drives every pass). */
    timers?: Timers
  } = {},
): Promise<PipelineHarness> {
  const clock = new ManualClock()
  const jenkins = await startJenkinsEmulator({ clock, quietPeriodSec: 0, ...o.emulator })
  const dir = mkdtempSync(join(tmpdir(), 'tamer-pipeline-'))
  const jenkinsConfig =
    o.jenkins === null
      ? {}
      : {
          url: jenkins.url,
          user: DEFAULT_USER.id,
          token: DEFAULT_USER.apiToken,
          callbackSecret: CALLBACK_SECRET,
          publicUrl: 'https://tamer.example.com',
          ...o.jenkins,
        }
  const config: Config = testConfig({ ...o.config, rules: o.rules ?? [DS_RULE], jenkins: jenkinsConfig })
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...chunk.toString().split('\n').filter(Boolean))
      cb()
    },
  })
  const open = async (wrap?: (s: ServiceStore) => ServiceStore, holdPipeline = false) => {
    const raw = o.openStore ? await o.openStore() : openSqliteStore({ file: join(dir, 'tamer.db') })
    const service = await composeService(config, {
      store: wrap ? wrap(raw) : raw,
      logger: createLogger('info', sink),
      now: () => clock.now(),
      timers: o.timers ?? manualTimers,
      // In process (no worker threads per test); the payloads' commits are not in any repository.
      diffEngine: nativeEngine,
      changedFiles: noChangedFiles,
      hold: [...(o.notifier ? [] : ['notifier' as const]), ...(holdPipeline ? ['pipeline' as const] : [])],
      ...o.io,
    })
    await service.app.ready()
    return { app: service.app, store: service.store, raw, pipeline: service.pipeline, service }
  }
  let cur = await open(o.wrapStore)
  const h: PipelineHarness = {
    get app() {
      return cur.app
    },
    get store() {
      return cur.store
    },
    get pipeline() {
      return cur.pipeline
    },
    get service() {
      return cur.service
    },
    config,
    jenkins,
    clock,
    logs,
    dir,
    advance: (ms) => jenkins.control.advance(ms),
    drain: () => cur.pipeline.drain(),
    async push(over = {}, delivery) {
      const d = signedGitHub('push', githubPush(over), delivery ? { delivery } : {})
      const res = await cur.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
      return { statusCode: res.statusCode, id: res.json().id as string }
    },
    async builds() {
      return (await cur.store.listBuilds({ limit: 1000 })).reverse()
    },
    async restart(r = {}) {
      await cur.app.close().catch(() => {})
      await cur.raw.close()
      cur = await open(r.store, r.holdPipeline)
    },
    jenkinsRequests: () =>
      jenkins.state.requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status ?? ''}`.trim()),
  }
  t.teardown(async () => {
    await cur.app.close().catch(() => {})
    await cur.raw.close()
    await jenkins.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return h
}

export const apiAuth = () => ({ authorization: `Bearer ${SECRETS.api}` })
