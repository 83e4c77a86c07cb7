// Metrics (issue #15). POST /api/jenkins/metrics: the data-science template's gate posts the build's
// metrics, signed like the callback (`X-Tamer-Signature: sha256=<HMAC-SHA256 of the exact body>`
// with jenkins.callbackSecret), and gets the verdict back: pass/fail with reasons, which the gate
// prints and fails on. GET /api/repos/:repo/metrics: a repository's reports, newest first, per branch.
import type { FastifyPluginAsync } from 'fastify'
import { NotFoundError } from '../errors.js'
import type { MetricsGate } from '../metrics/gate.js'
import { readMetricsReport } from '../metrics/report.js'
import { metricChart } from '../metrics/chart-data.js'
import { findRepository } from '../pipeline/runs.js'
import type { BranchStore } from '../store/branches.js'
import type { MetricReport, MetricsStore } from '../store/metrics.js'
import { pageOf, requireBearer, type ApiTokens } from './auth.js'
import { keepRawBodies, signedBody } from './jenkins-signed.js'
import { bearer, errors, JenkinsSignature, Page } from './schemas.js'

const num = { type: 'number', nullable: true } as const
const str = { type: 'string', nullable: true } as const

const MetricResultSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    value: num,
    threshold: str,
    baseline: num,
    delta: num,
    pass: { type: 'boolean', nullable: true },
    reason: str,
  },
} as const

const VerdictSchema = {
  type: 'object',
  properties: {
    pass: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'string' } },
    results: { type: 'array', items: MetricResultSchema },
    baseline: {
      type: 'object',
      nullable: true,
      properties: { buildId: { type: 'string' }, branch: { type: 'string' }, commitSha: str, buildNumber: num },
    },
  },
} as const

const GateAnswerSchema = {
  type: 'object',
  properties: {
    verdict: { type: 'string', enum: ['pass', 'fail'] },
    buildId: { type: 'string' },
    ...VerdictSchema.properties,
  },
} as const

export interface MetricsIntakeOptions {
  gate: MetricsGate
  secret: string
  maxBodyBytes: number
  maxMetrics: number
}

export const metricsIntakePlugin: FastifyPluginAsync<MetricsIntakeOptions> = async (app, opts) => {
  keepRawBodies(app, opts.maxBodyBytes, { announced413: true })
  app.post(
    '/api/jenkins/metrics',
    {
      schema: {
        summary: "A build's metrics, from the data-science template's gate; answers the verdict",
        tags: ['jenkins'],
        headers: JenkinsSignature,
        body: {
          type: 'object',
          required: ['delivery_id', 'job', 'metrics'],
          properties: {
            delivery_id: { type: 'string' },
            job: { type: 'string' },
            build_number: { type: 'integer' },
            metrics: {
              type: 'object',
              description: 'metric name to number; nested objects are joined with dots',
              additionalProperties: true,
            },
          },
        },
        response: { 200: GateAnswerSchema, ...errors },
      },
      // Documented, not validated by Fastify: the body stays the raw bytes the signature covers.
      validatorCompiler: () => () => true,
    },
    async (request) => {
      const report = readMetricsReport(signedBody(opts.secret, request), opts.maxMetrics)
      const answer = await opts.gate.report(report)
      if (!answer) throw new NotFoundError('build')
      const v = answer.verdict
      return { verdict: v.pass ? 'pass' : 'fail', buildId: answer.build.id, ...v }
    },
  )
}

export interface MetricsHistoryOptions {
  store: MetricsStore & Pick<BranchStore, 'findRepositories'>
  tokens: ApiTokens
}

const view = (r: MetricReport) => ({
  buildId: r.buildId,
  tenant: r.tenant,
  repository: r.repository,
  branch: r.branch,
  commitSha: r.commitSha,
  job: r.job,
  buildNumber: r.buildNumber,
  reportedAt: r.reportedAt,
  metrics: r.metrics,
  verdict: r.pass ? 'pass' : 'fail',
  results: (r.verdict as { results?: unknown[] }).results ?? [],
  baseline: (r.verdict as { baseline?: unknown }).baseline ?? null,
})

const ReportSchema = {
  type: 'object',
  properties: {
    buildId: { type: 'string' },
    tenant: { type: 'string' },
    repository: { type: 'string' },
    branch: str,
    commitSha: str,
    job: { type: 'string' },
    buildNumber: num,
    reportedAt: { type: 'string' },
    metrics: { type: 'object', additionalProperties: { type: 'number' } },
    verdict: { type: 'string', enum: ['pass', 'fail'] },
    results: { type: 'array', items: MetricResultSchema },
    baseline: VerdictSchema.properties.baseline,
  },
} as const

export const metricsHistoryPlugin: FastifyPluginAsync<MetricsHistoryOptions> = async (app, opts) => {
  app.addHook('onRequest', requireBearer(opts.tokens))
  app.get<{
    Params: { repo: string }
    Querystring: { branch?: string; limit: number; cursor?: number }
  }>(
    '/api/repos/:repo/metrics',
    {
      schema: {
        summary: "A repository's metrics reports, newest first (`:repo` is the full name, URL-encoded: acme%2Fchurn)",
        tags: ['api'],
        security: bearer,
        params: {
          type: 'object',
          properties: { repo: { type: 'string', minLength: 1, maxLength: 100 } },
          required: ['repo'],
        },
        querystring: {
          type: 'object',
          properties: {
            branch: { type: 'string', minLength: 1, maxLength: 255 },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            cursor: { type: 'integer', minimum: 1 },
          },
          additionalProperties: false,
        },
        response: { 200: Page(ReportSchema), ...errors },
      },
    },
    async (request) => {
      const q = request.query
      const rows = await opts.store.listMetricReports({
        repository: request.params.repo,
        branch: q.branch,
        tenants: request.scope?.tenants,
        before: q.cursor,
        limit: q.limit + 1,
      })
      return pageOf(rows, q.limit, view)
    },
  )
  // The chart (issue #15 item 2): the branch's metric beside the default branch's, threshold lines
  // across, an SVG from src/metrics/chart.ts. Another tenant's repository is a 404, like a missing one.
  app.get<{ Params: { repo: string }; Querystring: { branch?: string; metric?: string } }>(
    '/api/repos/:repo/metrics.svg',
    {
      schema: {
        summary: 'A metric over commits on a branch and the default branch, with threshold lines (SVG)',
        tags: ['api'],
        security: bearer,
        params: {
          type: 'object',
          properties: { repo: { type: 'string', minLength: 1, maxLength: 100 } },
          required: ['repo'],
        },
        querystring: {
          type: 'object',
          properties: {
            branch: { type: 'string', minLength: 1, maxLength: 255 },
            metric: { type: 'string', minLength: 1, maxLength: 200 },
          },
          additionalProperties: false,
        },
        response: { 200: { type: 'string', description: 'image/svg+xml' }, ...errors },
      },
    },
    async (request, reply) => {
      const repo = await findRepository(opts.store, request.params.repo, request.scope?.tenants)
      const branch = request.query.branch ?? repo.defaultBranch ?? 'main'
      const { svg } = await metricChart(opts.store, {
        tenant: repo.tenant,
        repository: repo.repository,
        branch,
        defaultBranch: repo.defaultBranch,
        metric: request.query.metric,
      })
      return reply
        .type('image/svg+xml; charset=utf-8')
        .header('content-security-policy', "default-src 'none'")
        .header('x-content-type-options', 'nosniff')
        .send(svg)
    },
  )
}
