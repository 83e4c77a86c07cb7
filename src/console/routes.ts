// The console's pages: thin routes that read the store as the API does (the same tenant scoping, the same
// indexed page queries: test/store/query-plans.test.ts) and render with pages/*. Forms that change
// something need the operate scope and go through the API's own paths (runs, resends, the audit log).
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { PushDiffService } from '../diffs/service.js'
import { pushEventsOf } from '../diffs/service.js'
import { renderDiffInProgressHtml, renderPushDiffHtml } from '../diffs/page.js'
import { allows, IdParams, visibleTo } from '../http/auth.js'
import { IN_PROGRESS_RETRY_SECONDS, onePage } from '../http/diffs.js'
import { DIFF_PAGE_CSP } from '../notebooks/render/safe.js'
import {
  applicableRules,
  findRepository,
  liveBranch,
  runAudit,
  type RunAccepted,
  type RunTarget,
} from '../pipeline/runs.js'
import type { Schedule } from '../pipeline/schedules.js'
import type { Mask } from '../security/secrets.js'
import { ACTIVE_BUILD_STATES, type BuildRecord } from '../store/builds.js'
import type { NotificationRecord } from '../store/notifications.js'
import type { AuditEntry } from '../store/security.js'
import type { ServiceStore } from '../store/service-store.js'
import type { DeliveryStatus } from '../store/store.js'
import type { ProviderName } from '../events/model.js'
import { ForbiddenError, NotificationNotDeadError } from '../errors.js'
import type { BuildFeed } from './build-feed.js'
import { Html, path } from './html.js'
import { metricChart } from '../metrics/chart-data.js'
import { buildPage, buildsPage, liveFields } from './pages/builds.js'
import { deadLettersPage } from './pages/dead-letters.js'
import { deliveriesPage, deliveryPage, PROVIDERS } from './pages/deliveries.js'
import { branchesPage, reposPage } from './pages/repos.js'
import { schedulesPage } from './pages/schedules.js'
import { DELIVERY_STATUSES } from '../store/store.js'
import { BUILD_STATES } from '../store/builds.js'

export interface PageDeps {
  store: ServiceStore
  /** Every tenant name (the deliveries filter offers those the session may see). */
  tenants: readonly string[]
  /** The rules' names, and what a run needs of them (pipeline/runs.ts). */
  config: Parameters<typeof applicableRules>[0]
  schedules: readonly Schedule[]
  mask: Mask
  feed: BuildFeed
  pushDiffs: PushDiffService
  /** How long the diff page waits for a diff being made (diffs.pageWaitMs). */
  pageWaitMs: number
  run(t: RunTarget): Promise<RunAccepted>
  resend(id: string): Promise<NotificationRecord | null>
  audit(entry: AuditEntry): Promise<void>
  now(): Date
}

const PAGE_SIZE = 50
const hide = true
const anyOf = (values: readonly string[]) => ({ type: 'string', enum: ['', ...values] }) as const
const name = { type: 'string', maxLength: 200 } as const
const cursor = { type: 'integer', minimum: 1 } as const
const send = (reply: FastifyReply, body: { value: string }) => reply.type('text/html; charset=utf-8').send(body.value)
/** A form's empty field is no filter. */
const opt = <T extends string>(v: T | '' | undefined): T | undefined => (v ? v : undefined)

export async function registerPages(app: FastifyInstance, deps: PageDeps): Promise<void> {
  const { store } = deps
  const sessionOf = (r: { consoleSession?: import('./session.js').Session }) => r.consoleSession!

  app.get<{
    Querystring: {
      tenant?: string
      repository?: string
      provider?: ProviderName | ''
      status?: DeliveryStatus | ''
      cursor?: number
    }
  }>(
    '/ui/deliveries',
    {
      schema: {
        hide,
        querystring: {
          type: 'object',
          properties: {
            tenant: name,
            repository: name,
            provider: anyOf(PROVIDERS),
            status: anyOf(DELIVERY_STATUSES),
            cursor,
          },
        },
      },
    },
    async (request, reply) => {
      const s = sessionOf(request)
      const q = request.query
      const visible = s.tenants ?? deps.tenants
      // A tenant filter narrows the session's tenants; one it may not see matches nothing.
      const tenants = q.tenant ? visible.filter((t) => t === q.tenant) : s.tenants
      const rows =
        tenants && tenants.length === 0
          ? []
          : await store.listDeliverySummaries({
              provider: opt(q.provider),
              repository: opt(q.repository),
              status: opt(q.status),
              tenants,
              before: q.cursor,
              limit: PAGE_SIZE + 1,
            })
      const shown = rows.slice(0, PAGE_SIZE)
      const next = rows.length > PAGE_SIZE ? shown[shown.length - 1]!.seq : null
      const filters = {
        tenant: opt(q.tenant),
        repository: opt(q.repository),
        provider: opt(q.provider),
        status: opt(q.status),
      }
      return send(reply, deliveriesPage(s, filters, visible, shown, next))
    },
  )

  app.get<{ Params: { id: string } }>(
    '/ui/deliveries/:id',
    { schema: { hide, params: IdParams } },
    async (request, reply) => {
      const s = sessionOf(request)
      const d = visibleTo(await store.getDelivery(request.params.id), s.tenants, 'delivery')
      const [dispatch, builds] = await Promise.all([
        store.getDispatch(d.id),
        store.listBuilds({ deliveryId: d.id, limit: 200 }),
      ])
      const notices = await noticesOf(builds)
      return send(reply, deliveryPage(s, d, dispatch, builds, notices, pushEventsOf(d).length > 0))
    },
  )

  /** The notices of these builds (each build's are few: one per notification rule and channel). */
  async function noticesOf(builds: readonly BuildRecord[]): Promise<NotificationRecord[]> {
    const lists = await Promise.all(builds.map((b) => store.listNotifications({ buildId: b.id, limit: 50 })))
    return lists.flat()
  }

  app.get<{ Params: { deliveryId: string } }>(
    '/ui/diffs/:deliveryId',
    { schema: { hide, params: { type: 'object', properties: { deliveryId: IdParams.properties.id } } } },
    async (request, reply) => {
      const s = sessionOf(request)
      const d = visibleTo(await store.getDelivery(request.params.deliveryId), s.tenants, 'delivery')
      const pushes = await deps.pushDiffs.ready(d, deps.pageWaitMs)
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', DIFF_PAGE_CSP)
        .header('referrer-policy', 'no-referrer')
      if (!pushes)
        return reply
          .code(202)
          .header('retry-after', String(IN_PROGRESS_RETRY_SECONDS))
          .send(renderDiffInProgressHtml(IN_PROGRESS_RETRY_SECONDS))
      return reply.send(renderPushDiffHtml(onePage(pushes)))
    },
  )

  app.get<{ Querystring: { state?: (typeof BUILD_STATES)[number] | ''; job?: string; cursor?: number } }>(
    '/ui/builds',
    {
      schema: {
        hide,
        querystring: {
          type: 'object',
          properties: { state: anyOf(BUILD_STATES), job: { type: 'string', maxLength: 500 }, cursor },
        },
      },
    },
    async (request, reply) => {
      const s = sessionOf(request)
      const q = request.query
      const rows = await store.listBuilds({
        state: opt(q.state),
        job: opt(q.job),
        tenants: s.tenants,
        before: q.cursor,
        limit: PAGE_SIZE + 1,
      })
      const shown = rows.slice(0, PAGE_SIZE)
      const next = rows.length > PAGE_SIZE ? shown[shown.length - 1]!.seq : null
      return send(reply, buildsPage(s, { state: opt(q.state), job: opt(q.job) }, shown, next))
    },
  )

  app.get<{ Params: { id: string } }>(
    '/ui/builds/:id',
    { schema: { hide, params: IdParams } },
    async (request, reply) => {
      const s = sessionOf(request)
      const b = visibleTo(await store.getBuild(request.params.id), s.tenants, 'build')
      const [runs, metrics, notices, delivery] = await Promise.all([
        store.runsOf([b.id]),
        store.latestMetricReport(b.id),
        noticesOf([b]),
        store.getDelivery(b.deliveryId),
      ])
      const ended = !ACTIVE_BUILD_STATES.includes(b.state)
      const diff = delivery !== null && pushEventsOf(delivery).length > 0
      return send(reply, buildPage(s, b, deps.mask, runs.get(b.id) ?? [], metrics, notices, ended, diff))
    },
  )

  // Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html): the build's live
  // fields now and after each write the pipeline signals (buildChanged), until it ends.
  app.get<{ Params: { id: string } }>(
    '/ui/builds/:id/events',
    { schema: { hide, params: IdParams } },
    async (request, reply) => {
      const s = sessionOf(request)
      const id = visibleTo(await store.getBuild(request.params.id), s.tenants, 'build').id
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // Proxies such as nginx would otherwise hold the stream back.
        'x-accel-buffering': 'no',
      })
      let closed = false
      let reading = false
      let again = false
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
      heartbeat.unref()
      const finish = () => {
        if (closed) return
        closed = true
        clearInterval(heartbeat)
        unsubscribe()
        res.end()
      }
      const push = (b: BuildRecord) => {
        const ended = !ACTIVE_BUILD_STATES.includes(b.state)
        res.write(`event: build\ndata: ${JSON.stringify({ ...liveFields(b, deps.mask), ended })}\n\n`)
        if (ended) finish()
      }
      // One read at a time; changes during a read are read once more after it.
      const refresh = async () => {
        if (reading) return void (again = true)
        reading = true
        try {
          do {
            again = false
            const b = await store.getBuild(id)
            if (b && !closed) push(b)
          } while (again && !closed)
        } catch (err) {
          request.log.warn({ err, buildId: id }, 'build event stream read failed')
        } finally {
          reading = false
        }
      }
      // Subscribed before the first read, so no write between the two is missed.
      const unsubscribe = deps.feed.subscribe(id, () => void refresh(), finish)
      res.on('close', finish)
      res.write('retry: 3000\n\n')
      await refresh()
    },
  )

  app.get<{ Querystring: { cursor?: number } }>(
    '/ui/repos',
    { schema: { hide, querystring: { type: 'object', properties: { cursor } } } },
    async (request, reply) => {
      const s = sessionOf(request)
      const rows = await store.listRepositories({
        tenants: s.tenants,
        before: request.query.cursor,
        limit: PAGE_SIZE + 1,
      })
      const shown = rows.slice(0, PAGE_SIZE)
      return send(reply, reposPage(s, shown, rows.length > PAGE_SIZE ? shown[shown.length - 1]!.seq : null))
    },
  )

  const RepoParams = {
    type: 'object',
    required: ['repo'],
    properties: { repo: { type: 'string', minLength: 1, maxLength: 100 } },
  }
  app.get<{
    Params: { repo: string }
    Querystring: { state?: 'live' | 'deleted' | ''; cursor?: number; chart?: string; metric?: string }
  }>(
    '/ui/repos/:repo/branches',
    {
      schema: {
        hide,
        params: RepoParams,
        querystring: {
          type: 'object',
          properties: {
            state: anyOf(['live', 'deleted']),
            cursor,
            chart: { type: 'string', maxLength: 255 },
            metric: { type: 'string', maxLength: 200 },
          },
        },
      },
    },
    async (request, reply) => {
      const s = sessionOf(request)
      const repo = await findRepository(store, request.params.repo, s.tenants)
      const state = request.query.state === 'deleted' ? 'deleted' : 'live'
      const rows = await store.listBranches({
        repository: repo.repository,
        provider: repo.provider,
        state,
        tenants: [repo.tenant],
        before: request.query.cursor,
        limit: PAGE_SIZE + 1,
      })
      const shown = rows.slice(0, PAGE_SIZE)
      const builds = await store.lastBuilds(
        repo,
        shown.map((b) => b.branch),
      )
      // The same rules apply to every branch of a repository (tenant and repository conditions only).
      const rules = shown[0] ? (await applicableRules(deps.config, repo, shown[0])).map((r) => r.name) : []
      const next = rows.length > PAGE_SIZE ? shown[shown.length - 1]!.seq : null
      // The metric chart (issue #15 item 2): `?chart=<branch>` beside the default branch, inline SVG
      // (src/metrics/chart.ts escapes every label; presentation attributes only, so CONSOLE_CSP holds).
      const chart = await metricChart(store, {
        tenant: repo.tenant,
        repository: repo.repository,
        branch: request.query.chart || repo.defaultBranch || 'main',
        defaultBranch: repo.defaultBranch,
        metric: request.query.metric || undefined,
      })
      return send(
        reply,
        branchesPage(s, repo, state, shown, builds, rules, allows(s.access, 'operate'), next, new Html(chart.svg)),
      )
    },
  )

  app.post<{ Params: { repo: string; branch: string }; Body: { rule?: string } }>(
    '/ui/repos/:repo/branches/:branch/runs',
    {
      schema: {
        hide,
        params: {
          type: 'object',
          required: ['repo', 'branch'],
          properties: { repo: RepoParams.properties.repo, branch: RepoParams.properties.repo },
        },
      },
    },
    async (request, reply) => {
      const s = sessionOf(request)
      requireOperate(s)
      const { repo, branch } = request.params
      // The 409 of a deleted branch is said before anything is stored (requestRun checks it too).
      const found = await findRepository(store, repo, s.tenants)
      liveBranch(found, branch, await store.getBranch(found, branch))
      const accepted = await deps.run({
        repository: repo,
        provider: found.provider,
        branch,
        rule: request.body?.rule || undefined,
        tenants: s.tenants,
        by: 'api',
        actor: s.actor,
      })
      await deps.audit(runAudit(accepted, s.actor, 'console'))
      return reply.redirect(path('/ui/deliveries', accepted.deliveryId), 303)
    },
  )

  app.get('/ui/schedules', { schema: { hide } }, async (request, reply) => {
    const s = sessionOf(request)
    const now = deps.now()
    const rows = await Promise.all(
      deps.schedules.map(async (schedule) => ({
        schedule,
        lastSlot: await store.scheduleSlot(schedule.key),
        next: schedule.cron.nextRun(now)?.toISOString() ?? null,
      })),
    )
    return send(reply, schedulesPage(s, rows))
  })

  app.get<{ Querystring: { cursor?: number; resent?: string } }>(
    '/ui/dead-letters',
    {
      schema: {
        hide,
        querystring: { type: 'object', properties: { cursor, resent: { type: 'string', maxLength: 100 } } },
      },
    },
    async (request, reply) => {
      const s = sessionOf(request)
      const rows = await store.listNotifications({
        state: 'dead',
        tenants: s.tenants,
        before: request.query.cursor,
        limit: PAGE_SIZE + 1,
      })
      const shown = rows.slice(0, PAGE_SIZE)
      const resentId = request.query.resent
      const resent = resentId ? await store.getNotification(resentId) : null
      const visibleResent = resent && (!s.tenants || s.tenants.includes(resent.tenant)) ? resent : null
      const next = rows.length > PAGE_SIZE ? shown[shown.length - 1]!.seq : null
      return send(reply, deadLettersPage(s, shown, deps.mask, allows(s.access, 'operate'), visibleResent, next))
    },
  )

  app.post<{ Params: { id: string } }>(
    '/ui/notifications/:id/resend',
    { schema: { hide, params: IdParams } },
    async (request, reply) => {
      const s = sessionOf(request)
      requireOperate(s)
      const n = visibleTo(await store.getNotification(request.params.id), s.tenants, 'notification')
      const moved = await deps.resend(n.id)
      if (!moved) throw new NotificationNotDeadError(n.state)
      await deps.audit({
        actor: s.actor,
        action: 'notification.resend',
        target: n.id,
        tenant: n.tenant,
        detail: { channel: n.channel, subject: n.subject, via: 'console' },
      })
      return reply.redirect(`/ui/dead-letters?resent=${encodeURIComponent(n.id)}`, 303)
    },
  )
}

function requireOperate(s: { access: import('../store/security.js').AccessLevel }) {
  if (!allows(s.access, 'operate')) throw new ForbiddenError(s.access, 'operate')
}
