// The metric gate as a service: a build's settings (`.tamer.yml` at its commit, joined with Tamer's
// metrics.policies) and its metrics reports: stored, judged against the thresholds and against the
// default branch's latest green build, and answered with the verdict.
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import { RepoSettingsError } from '../errors.js'
import type { TamerEvent } from '../events/model.js'
import type { MirrorCache } from '../git/mirror.js'
import { repoFileReader, RepoFileTooLargeError, type RepoFileReader } from '../git/repo-file.js'
import type { BuildRecord, TamerStore } from '../store/builds.js'
import type { MetricReport, MetricsStore } from '../store/metrics.js'
import type { DeliveryStore } from '../store/store.js'
import { evaluateMetrics, type Baseline, type Verdict } from './evaluate.js'
import type { MetricsReport } from './report.js'
import { effectiveSettings, SETTINGS_FILE, type RepoSettings } from './settings.js'

/** `.tamer.yml` is a settings file, not data. */
const MAX_SETTINGS_BYTES = 64 * 1024

export interface MetricsGateDeps {
  config: Pick<Config, 'metrics'>
  store: Pick<TamerStore, 'findBuildByDeliveryParam' | 'getBuild'> & MetricsStore & Pick<DeliveryStore, 'getDelivery'>
  mirrors: MirrorCache
  logger: Logger
  /** default: from the mirrors */
  files?: RepoFileReader
}

export interface GateAnswer {
  build: BuildRecord
  report: MetricReport
  verdict: Verdict
}

export interface MetricsGate {
  /** Whether Tamer reads this build's `.tamer.yml` before triggering it (metrics.templates). */
  reads(b: Pick<BuildRecord, 'template'>): boolean
  /** The templates `reads` is true for (metrics.templates). */
  readonly templates: readonly string[]
  /** The build's settings; RepoSettingsError when `.tamer.yml` is invalid, GitFailedError when git cannot tell. */
  settingsOf(b: BuildRecord): Promise<RepoSettings>
  /** Judges and stores a report; null when no build of Tamer's has that DELIVERY_ID on that job. */
  report(r: MetricsReport): Promise<GateAnswer | null>
  /**
   * A file of the build's repository at its commit, through the mirror of the signed repository (at most
   * metrics.parityMaxBodyBytes); null when the commit has no such file or the build has no commit.
   */
  repoFile(b: BuildRecord, path: string): Promise<Buffer | null>
}

export function createMetricsGate(deps: MetricsGateDeps): MetricsGate {
  const { store, mirrors } = deps
  const files = deps.files ?? repoFileReader(mirrors, { maxBytes: MAX_SETTINGS_BYTES })
  // Reference predictions are data: their own limit, and few kept in memory (a commit's never change).
  const dataFiles = repoFileReader(mirrors, { maxBytes: deps.config.metrics.parityMaxBodyBytes, cacheEntries: 4 })
  const hasCommit = (b: BuildRecord) => !!b.commitSha && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(b.commitSha)

  async function eventOf(b: BuildRecord): Promise<TamerEvent | null> {
    const d = await store.getDelivery(b.deliveryId)
    if (!d || d.normalized.kind !== 'events') return null
    return d.normalized.events[b.eventIndex] ?? null
  }

  async function settingsOf(b: BuildRecord, event?: TamerEvent | null): Promise<RepoSettings> {
    const e = event === undefined ? await eventOf(b) : event
    const subject = {
      tenant: b.tenant,
      repository: b.repository,
      rule: b.rule,
      thresholdsParameter: b.parameters.THRESHOLDS,
    }
    const policies = deps.config.metrics.policies
    if (!e || !hasCommit(b)) return effectiveSettings(null, subject, policies)
    const cloneUrl = mirrors.remoteOf(e)
    let bytes: Buffer | null
    try {
      bytes = await files.read({ cloneUrl, tenant: b.tenant, commit: b.commitSha!, path: SETTINGS_FILE })
    } catch (err) {
      if (err instanceof RepoFileTooLargeError) throw new RepoSettingsError(err.message)
      throw err
    }
    return effectiveSettings(bytes ? { text: bytes.toString('utf8') } : null, subject, policies)
  }

  return {
    reads: (b) => b.template !== null && deps.config.metrics.templates.includes(b.template),
    templates: deps.config.metrics.templates,
    settingsOf: (b) => settingsOf(b),
    async repoFile(b, path) {
      const e = await eventOf(b)
      if (!e || !hasCommit(b)) return null
      return dataFiles.read({ cloneUrl: mirrors.remoteOf(e), tenant: b.tenant, commit: b.commitSha!, path })
    },
    async report(r) {
      const build = await store.findBuildByDeliveryParam(r.job, r.deliveryId)
      if (!build) return null
      const event = await eventOf(build)
      const settings = await settingsOf(build, event)
      const repository = build.repository ?? event?.repository.fullName ?? ''
      const defaultBranch = event?.repository.defaultBranch ?? null
      const green = defaultBranch
        ? await store.latestGreenMetricReport(build.tenant, repository, defaultBranch, build.id)
        : null
      const baseline: Baseline | null = green
        ? {
            buildId: green.buildId,
            branch: green.branch ?? defaultBranch!,
            commitSha: green.commitSha,
            buildNumber: green.buildNumber,
            metrics: green.metrics,
          }
        : null
      const verdict = evaluateMetrics(r.metrics, settings.thresholds, baseline)
      const finite = Object.fromEntries(
        Object.entries(r.metrics).flatMap(([k, v]) => (typeof v === 'number' ? [[k, v]] : [])),
      )
      const report = await store.saveMetricReport({
        buildId: build.id,
        tenant: build.tenant,
        repository,
        branch: build.branch,
        commitSha: build.commitSha,
        job: build.job,
        buildNumber: r.buildNumber ?? build.buildNumber,
        metrics: finite,
        pass: verdict.pass,
        verdict,
      })
      deps.logger.info(
        { buildId: build.id, pass: verdict.pass, metrics: Object.keys(r.metrics).length, baseline: baseline?.buildId },
        'metrics judged',
      )
      return { build, report, verdict }
    },
  }
}
