// The real pipeline (app + SQLite + Jenkins emulator on a ManualClock) with the real notifier,
// all composed as `tamer serve` composes them (src/compose/), on one store and clock.
import { SECRETS } from '../app.js'
import { startPipelineApp, type PipelineHarness } from '../pipeline-app.js'
import type { Config } from '../../../src/config/schema.js'
import type { Notifier, NotifyingStore } from '../../../src/notify/notifier.js'
import { noNotebookSummary, type NotebookSummarySource } from '../../../src/notify/notebook-summary.js'
import { startSmtpPeer, startHttpPeer, type HttpPeer, type SmtpPeer } from './peers.js'

export const LOG_SECRET = 'hunter2-very-secret-value'

export interface NotifyHarness {
  h: PipelineHarness
  smtp: SmtpPeer
  http: HttpPeer
  readonly config: Config
  readonly notifier: Notifier
  store: NotifyingStore
  /** push → trigger → run → finished → notices decided and sent */
  build(
    result: 'SUCCESS' | 'FAILURE' | 'UNSTABLE' | 'ABORTED',
    push?: Record<string, unknown>,
    extraLog?: string[],
    o?: { notify?: boolean },
  ): Promise<void>
  /** restart app, pipeline and notifier on the same data */
  restart(): Promise<void>
}

interface Teardown {
  teardown(fn: () => unknown): void
}

export async function startNotifyHarness(
  t: Teardown,
  notifications: (peers: { smtp: SmtpPeer; http: HttpPeer }) => Record<string, unknown>,
  o: { summary?: NotebookSummarySource; config?: Record<string, unknown> } = {},
): Promise<NotifyHarness> {
  const smtp = await startSmtpPeer()
  const http = await startHttpPeer()
  const h = await startPipelineApp(t, {
    config: {
      ...o.config,
      links: { secret: 'notify-link-secret' },
      notifications: {
        smtp: { host: '127.0.0.1', port: smtp.port, from: 'Tamer CI <ci@tamer.example.com>', timeoutMs: 2000 },
        maskValues: [LOG_SECRET],
        ...notifications({ smtp, http }),
      },
    },
    notifier: true,
    io: { notebookSummary: o.summary ?? noNotebookSummary },
  })
  const nh: NotifyHarness = {
    h,
    smtp,
    http,
    get config() {
      return h.config
    },
    get notifier() {
      return h.service.notifier
    },
    get store() {
      return h.store as NotifyingStore
    },
    async build(result, push = {}, extraLog = [], bo = {}) {
      h.jenkins.control.setDefaultScenario({
        result,
        durationMs: 4000,
        stages: ['Checkout', 'Unit tests'],
        failingStage: result === 'SUCCESS' ? undefined : 'Unit tests',
        extraLog,
        tests: { total: 12, failed: result === 'SUCCESS' ? 0 : 2, skipped: 1 },
      })
      await h.push(push)
      for (let i = 0; i < 6; i++) {
        await h.drain()
        h.advance(5_000)
      }
      await h.drain()
      if (bo.notify !== false) await nh.notifier.drain()
    },
    /** The app closes (stopping the pipeline and notifier); a new one starts both on the same data. */
    async restart() {
      await h.restart()
    },
  }
  t.teardown(async () => {
    await smtp.close()
    await http.close()
  })
  return nh
}

export { SECRETS }
