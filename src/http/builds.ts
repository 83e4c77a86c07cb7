// GET /api/builds[/:id] behind the same bearer tokens as /api/deliveries, tenant-scoped.
import type { FastifyPluginAsync } from 'fastify'
import { maskDeep, type Mask } from '../security/secrets.js'
import { BUILD_STATES, type BuildRecord, type BuildState, type BuildStore, type RecordedRun } from '../store/builds.js'
import type { HostPostStore } from '../store/host-posts.js'
import type { SignoffStore } from '../store/signoffs.js'
import { signoffLine } from '../notify/signoff-state.js'
import { paritySummary, type ParityResult } from '../parity/result.js'
import type { MetricsStore } from '../store/metrics.js'
import { IdParams, pageOf, requireBearer, visibleTo, type ApiTokens } from './auth.js'
import { bearer, BuildDetail, BuildSummary, errors, Page } from './schemas.js'

export interface BuildsPluginOptions {
  store: BuildStore &
    Pick<HostPostStore, 'hostPostsOfBuild'> &
    Pick<SignoffStore, 'signoffsOfBuild'> &
    Partial<Pick<MetricsStore, 'latestParityReport'>>
  tokens: ApiTokens
  /**
   * Log tails, errors and parameters come from Jenkins and git: masked again when shown (rows stored before masking
   * too).
   */
  mask: Mask
}

export const ListQuery = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: BUILD_STATES },
    delivery: { type: 'string', minLength: 1, maxLength: 100 },
    job: { type: 'string', minLength: 1, maxLength: 500 },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    cursor: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
} as const

interface ListQueryType {
  state?: BuildState
  delivery?: string
  job?: string
  limit: number
  cursor?: number
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/**
 * `runs`: every queue item and build Tamer learned of for the build's DELIVERY_ID. One normally;
 * more means Jenkins ran it more than once (a human re-ran it), which the record's own
 * queueId/buildNumber (the first) would hide.
 */
function summary(b: BuildRecord, mask: Mask, runs: readonly RecordedRun[] = []) {
  return {
    id: b.id,
    deliveryId: b.deliveryId,
    tenant: b.tenant,
    repository: b.repository,
    provider: b.provider,
    ref: b.ref,
    branch: b.branch,
    commitSha: b.commitSha,
    pullRequest: b.pullRequest,
    eventKey: b.eventKey,
    rule: b.rule,
    job: b.job,
    template: b.template,
    state: b.state,
    queueId: b.queueId,
    buildNumber: b.buildNumber,
    buildUrl: b.buildUrl,
    result: b.result,
    durationMs: b.durationMs,
    failingStage: b.failingStage,
    tests: b.tests === null ? null : maskDeep(b.tests, mask),
    attempts: b.attempts,
    nextAttemptAt: iso(b.nextAttemptAt),
    lastError: b.lastError === null ? null : mask(b.lastError),
    runs: runs.map((r) => ({
      queueId: r.queueId,
      buildNumber: r.buildNumber,
      buildUrl: r.buildUrl,
      source: r.source,
      seenAt: r.seenAt,
    })),
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  }
}

export const buildsPlugin: FastifyPluginAsync<BuildsPluginOptions> = async (app, opts) => {
  app.addHook('onRequest', requireBearer(opts.tokens))

  app.get<{ Querystring: ListQueryType }>(
    '/api/builds',
    {
      schema: {
        summary: 'Builds, newest first',
        tags: ['api'],
        security: bearer,
        querystring: ListQuery,
        response: { 200: Page(BuildSummary), ...errors },
      },
    },
    async (request) => {
      const q = request.query
      const items = await opts.store.listBuilds({
        state: q.state,
        deliveryId: q.delivery,
        job: q.job,
        tenants: request.scope?.tenants,
        before: q.cursor,
        limit: q.limit + 1,
      })
      const runs = await opts.store.runsOf(items.slice(0, q.limit).map((b) => b.id))
      return pageOf(items, q.limit, (b) => summary(b, opts.mask, runs.get(b.id)))
    },
  )

  app.get<{ Params: { id: string } }>(
    '/api/builds/:id',
    {
      schema: {
        summary: 'One build: parameters, callback, log tail (secrets masked)',
        tags: ['api'],
        security: bearer,
        params: IdParams,
        response: { 200: BuildDetail, ...errors },
      },
    },
    async (request) => {
      const b = visibleTo(await opts.store.getBuild(request.params.id), request.scope?.tenants, 'build')
      const mask = opts.mask
      const parity = (await opts.store.latestParityReport?.(b.id)) ?? null
      return {
        ...summary(b, mask, (await opts.store.runsOf([b.id])).get(b.id)),
        parameters: maskDeep(b.parameters, mask),
        callback: maskDeep(b.callback, mask),
        logTail: b.logTail === null ? null : mask(b.logTail),
        triggeredAt: iso(b.triggeredAt),
        acceptedAt: iso(b.acceptedAt),
        // What was posted where (issue #13): each commit status and comment update, and the host's answer.
        posts: (await opts.store.hostPostsOfBuild(b.id)).map((p) => ({
          provider: p.provider,
          repository: p.repository,
          kind: p.kind,
          target: p.target,
          state: p.state,
          attempts: p.attempts,
          lastError: p.lastError === null ? null : mask(p.lastError),
          answer: maskDeep(p.answer, mask),
          posted: maskDeep(postedOf(p.kind, p.payload), mask),
          updatedAt: p.updatedAt,
        })),
        // The decision trail of the deployment's sign-offs (issue #15).
        signoffs: (await opts.store.signoffsOfBuild(b.id)).map((s) => ({
          id: s.id,
          environment: s.environment,
          inputId: s.inputId,
          state: s.state,
          summary: signoffLine(s),
          parties: s.parties,
          createdAt: s.createdAt,
          expiresAt: new Date(s.expiresAt).toISOString(),
          decidedAt: s.decidedAt,
          jenkinsAction: s.jenkinsAction,
          jenkinsActedAt: s.jenkinsActedAt,
          jenkinsError: s.jenkinsError === null ? null : mask(s.jenkinsError),
        })),
        // The dev/prod parity gate's latest result (issue #15 item 3).
        parity: parity && {
          verdict: parity.pass ? 'pass' : 'fail',
          summary: paritySummary(parity.result as ParityResult),
          reportedAt: parity.reportedAt,
          ...maskDeep(parity.result as ParityResult, mask),
        },
      }
    },
  )
}

/** What an entry posts, for the API: a status's fields, or the comment's length (its body is on the host). */
function postedOf(kind: string, payload: unknown): Record<string, unknown> {
  const p = (payload ?? {}) as Record<string, unknown>
  if (kind === 'status')
    return { state: p.state, context: p.context, description: p.description, targetUrl: p.targetUrl, sha: p.sha }
  const pr = (p.pr ?? {}) as { number?: number }
  return { pullRequest: pr.number ?? null, bodyChars: typeof p.body === 'string' ? p.body.length : 0 }
}
