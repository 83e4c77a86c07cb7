// The branch registry over HTTP (issue #14): GET /api/repos, GET /api/repos/:repo/branches, and
// POST /api/repos/:repo/branches/:branch/runs (operate scope; in the audit log). Repository and
// branch names travel percent-encoded in the path (`acme%2Fchurn-model`, `feature%2F%C3%BC`); they
// are data, compared as stored and never parsed further. Tenant-scoped like every /api route.
import type { FastifyPluginAsync } from 'fastify'
import type { ProviderName } from '../events/model.js'
import { findRepository, runAudit, type RunAccepted, type RunTarget } from '../pipeline/runs.js'
import type { BranchRecord, BranchStore, RepositoryKey, RepositoryRecord } from '../store/branches.js'
import type { AuditEntry } from '../store/security.js'
import { pageOf, requireAccess, requireBearer, type ApiTokens } from './auth.js'
import { bearer, errors, Page } from './schemas.js'

export interface ReposPluginOptions {
  store: BranchStore
  tokens: ApiTokens
  /** Lists the remote's branches now (through the mirror); `?refresh=true`. */
  sync: (key: RepositoryKey) => Promise<boolean>
  run: (t: RunTarget) => Promise<RunAccepted>
  audit: (entry: AuditEntry) => Promise<void>
}

const PROVIDERS = ['github', 'gitlab', 'bitbucket-cloud', 'bitbucket-server'] as const
const str = { type: 'string' } as const
const nstr = { type: 'string', nullable: true } as const
const name = { type: 'string', minLength: 1, maxLength: 100 } as const

const RepoParams = { type: 'object', required: ['repo'], properties: { repo: name } } as const
const BranchParams = { type: 'object', required: ['repo', 'branch'], properties: { repo: name, branch: name } } as const

const PageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  cursor: { type: 'integer', minimum: 1 },
} as const

const RepositorySummary = {
  type: 'object',
  properties: {
    tenant: str,
    provider: { type: 'string', enum: PROVIDERS },
    repository: str,
    defaultBranch: nstr,
    branches: { type: 'integer', description: 'live branches' },
    syncedAt: { ...nstr, format: 'date-time', description: 'last listing of the remote' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const

const BranchSummary = {
  type: 'object',
  properties: {
    tenant: str,
    provider: { type: 'string', enum: PROVIDERS },
    repository: str,
    branch: str,
    default: { type: 'boolean' },
    state: { type: 'string', enum: ['live', 'deleted'] },
    commitSha: nstr,
    authorName: nstr,
    authorEmail: nstr,
    committedAt: nstr,
    pushedAt: str,
    deletedAt: nstr,
    source: { type: 'string', enum: ['push', 'remote'] },
    lastBuilds: {
      type: 'array',
      description: 'the last build of each rule on this branch',
      items: {
        type: 'object',
        properties: {
          rule: str,
          buildId: str,
          job: str,
          state: str,
          result: nstr,
          commitSha: nstr,
          createdAt: str,
        },
      },
    },
  },
} as const

const RunBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rule: { type: 'string', minLength: 1, maxLength: 200 },
    job: { type: 'string', minLength: 1, maxLength: 500 },
    parameters: {
      type: 'object',
      maxProperties: 50,
      description: 'names the rule lets a run set (its parameters and its template optional ones)',
      additionalProperties: { type: 'string', maxLength: 10000 },
    },
  },
} as const

const RunAcceptedSchema = {
  type: 'object',
  properties: {
    deliveryId: str,
    duplicate: { type: 'boolean' },
    tenant: str,
    provider: { type: 'string', enum: PROVIDERS },
    repository: str,
    branch: str,
    commitSha: str,
    rule: str,
    job: str,
  },
} as const

const repoView = (r: RepositoryRecord) => ({
  tenant: r.tenant,
  provider: r.provider,
  repository: r.repository,
  defaultBranch: r.defaultBranch,
  branches: r.branches,
  syncedAt: r.syncedAt,
  updatedAt: r.updatedAt,
})

export const reposPlugin: FastifyPluginAsync<ReposPluginOptions> = async (app, opts) => {
  app.addHook('onRequest', requireBearer(opts.tokens))

  app.get<{ Querystring: { limit: number; cursor?: number } }>(
    '/api/repos',
    {
      schema: {
        summary: 'Repositories Tamer knows (from pushes), most recently changed first',
        tags: ['api'],
        security: bearer,
        querystring: { type: 'object', additionalProperties: false, properties: PageQuery },
        response: { 200: Page(RepositorySummary), ...errors },
      },
    },
    async (request) => {
      const q = request.query
      const rows = await opts.store.listRepositories({
        tenants: request.scope?.tenants,
        before: q.cursor,
        limit: q.limit + 1,
      })
      return pageOf(rows, q.limit, repoView)
    },
  )

  interface BranchesQuery {
    limit: number
    cursor?: number
    state: 'live' | 'deleted'
    provider?: ProviderName
    refresh: boolean
  }
  app.get<{ Params: { repo: string }; Querystring: BranchesQuery }>(
    '/api/repos/:repo/branches',
    {
      schema: {
        summary: "A repository's branches, most recently changed first, with the last build per rule",
        description:
          'The repository name is percent-encoded (acme%2Fchurn-model). `refresh=true` lists the remote first (git, through the mirror).',
        tags: ['api'],
        security: bearer,
        params: RepoParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...PageQuery,
            state: { type: 'string', enum: ['live', 'deleted'], default: 'live' },
            provider: { type: 'string', enum: PROVIDERS },
            refresh: { type: 'boolean', default: false },
          },
        },
        response: { 200: Page(BranchSummary), ...errors },
      },
    },
    async (request) => {
      const q = request.query
      const repo = await findRepository(opts.store, request.params.repo, request.scope?.tenants, q.provider)
      if (q.refresh) await opts.sync(repo)
      const rows = await opts.store.listBranches({
        repository: repo.repository,
        provider: repo.provider,
        state: q.state,
        tenants: [repo.tenant],
        before: q.cursor,
        limit: q.limit + 1,
      })
      const shown = rows.slice(0, q.limit)
      const builds = await opts.store.lastBuilds(
        repo,
        shown.map((b) => b.branch),
      )
      return pageOf(rows, q.limit, (b: BranchRecord) => ({
        tenant: b.tenant,
        provider: b.provider,
        repository: b.repository,
        branch: b.branch,
        default: b.branch === repo.defaultBranch,
        state: b.deletedAt === null ? 'live' : 'deleted',
        commitSha: b.commitSha,
        authorName: b.authorName,
        authorEmail: b.authorEmail,
        committedAt: b.committedAt,
        pushedAt: b.pushedAt,
        deletedAt: b.deletedAt,
        source: b.source,
        lastBuilds: builds.get(b.branch) ?? [],
      }))
    },
  )

  app.post<{
    Params: { repo: string; branch: string }
    Body: { rule?: string; job?: string; parameters?: Record<string, string> } | undefined
  }>(
    '/api/repos/:repo/branches/:branch/runs',
    {
      schema: {
        summary: "Run a rule's job on a branch's head now (as a push would)",
        description:
          'Names percent-encoded. `Idempotency-Key` makes a retried request the same run. 409 TAMER_BRANCH_GONE when the branch was deleted.',
        tags: ['api'],
        security: bearer,
        params: BranchParams,
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } },
        },
        body: RunBody,
        response: { 202: RunAcceptedSchema, ...errors },
      },
      preHandler: requireAccess('operate'),
    },
    async (request, reply) => {
      const body = request.body ?? {}
      const key = request.headers['idempotency-key']
      const accepted = await opts.run({
        repository: request.params.repo,
        branch: request.params.branch,
        rule: body.rule,
        job: body.job,
        parameters: body.parameters,
        tenants: request.scope?.tenants,
        by: 'api',
        actor: request.scope!.actor,
        ...(typeof key === 'string' ? { key: `api:${key}` } : {}),
      })
      if (!accepted.duplicate) await opts.audit(runAudit(accepted, request.scope!.actor))
      return reply.code(202).send(accepted)
    },
  )
}
