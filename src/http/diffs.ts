// GET /diffs/:deliveryId (the HTML page of a push) and GET /api/diffs/:deliveryId (files and
// nbdime-format diffs), behind the same bearer tokens and tenant scopes as /api/deliveries.
// The diffs come from the push-diff service (memory, store, or rendered now and stored). A diff
// still being made after pageWaitMs is answered 202 "in progress" at once, never by holding the
// socket until the server's timeouts drop it: the page reloads itself, API clients ask again.
import type { FastifyPluginAsync } from 'fastify'
import type { PushDiffService } from '../diffs/service.js'
import type { FileDiff, PushDiff } from '../diffs/model.js'
import { renderDiffInProgressHtml, renderPushDiffHtml } from '../diffs/page.js'
import { DIFF_PAGE_CSP } from '../notebooks/render/index.js'
import type { DeliveryStore } from '../store/store.js'
import { createBearerAuth, visibleTo, type ApiTokens } from './auth.js'
import type { DiffLinks } from '../links/diff-links.js'
import { bearer, DiffInProgress, errors, PushDiffs } from './schemas.js'

export interface DiffsPluginOptions {
  store: DeliveryStore
  tokens: ApiTokens
  pushDiffs: PushDiffService
  /** Signed links open one page without a bearer token. */
  links?: DiffLinks
  /** How long a request waits for a diff being made before answering 202 (default 2 s). */
  pageWaitMs?: number
  /** Said on the in-progress page (diffs.timeLimitMs). */
  timeLimitMs?: number
}

/** How often the in-progress page reloads itself, and the API's Retry-After. */
export const IN_PROGRESS_RETRY_SECONDS = 3

const Params = {
  type: 'object',
  properties: { deliveryId: { type: 'string', maxLength: 100 } },
  required: ['deliveryId'],
} as const

/** The JSON shape of one file: the base notebook stays out (it can be tens of MB of images). */
function fileJson(f: FileDiff) {
  const common = { path: f.path, oldPath: f.oldPath, status: f.status, kind: f.kind }
  if (f.kind === 'notebook') return { ...common, summary: f.summary, diff: f.diff, degraded: f.degraded ?? [] }
  if (f.kind === 'text') return { ...common, unified: f.unified }
  return { ...common, reason: f.reason, note: f.note, ...(f.unified !== undefined ? { unified: f.unified } : {}) }
}

export const diffsPlugin: FastifyPluginAsync<DiffsPluginOptions> = async (app, opts) => {
  const authenticate = createBearerAuth(opts.tokens)

  const waitMs = opts.pageWaitMs ?? 2000

  /** The diffs, or null while they are still being made. */
  async function pushDiffs(deliveryId: string, tenants: readonly string[] | undefined): Promise<PushDiff[] | null> {
    // Checked before the diff service: a stored diff of another tenant's delivery stays a 404.
    return opts.pushDiffs.ready(visibleTo(await opts.store.getDelivery(deliveryId), tenants, 'delivery'), waitMs)
  }

  app.get<{ Params: { deliveryId: string } }>(
    '/api/diffs/:deliveryId',
    {
      schema: {
        summary: "A push's changed files, notebooks as nbdime-format diffs (202 while the diff is being made)",
        tags: ['diffs'],
        security: bearer,
        params: Params,
        response: { 200: PushDiffs, 202: DiffInProgress, ...errors },
      },
    },
    async (request, reply) => {
      const scope = await authenticate(request)
      const pushes = await pushDiffs(request.params.deliveryId, scope.tenants)
      if (!pushes) {
        return reply
          .code(202)
          .header('retry-after', String(IN_PROGRESS_RETRY_SECONDS))
          .header('cache-control', 'no-store')
          .send({
            deliveryId: request.params.deliveryId,
            status: 'in-progress',
            retryAfterSeconds: IN_PROGRESS_RETRY_SECONDS,
            message: 'the diff is being made; ask again',
          })
      }
      return {
        deliveryId: request.params.deliveryId,
        pushes: pushes.map((p) => ({
          repository: p.repository,
          ref: p.ref,
          base: p.base,
          head: p.head,
          notes: p.notes,
          files: p.files.map(fileJson),
        })),
      }
    },
  )

  const LinkQuery = {
    type: 'object',
    properties: { exp: { type: 'string', maxLength: 20 }, sig: { type: 'string', maxLength: 100 } },
  } as const
  app.get<{ Params: { deliveryId: string }; Querystring: { exp?: string; sig?: string } }>(
    '/diffs/:deliveryId',
    {
      schema: {
        summary: "A push's diff page (HTML), with a bearer token or a signed link's exp and sig",
        tags: ['diffs'],
        security: [...bearer, {}],
        params: Params,
        querystring: LinkQuery,
        response: {
          200: { description: 'the HTML page', content: { 'text/html': { schema: { type: 'string' } } } },
          202: {
            description: 'a page that reloads itself while the diff is being made',
            content: { 'text/html': { schema: { type: 'string' } } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      // A valid signed link opens this one page; anything else needs a bearer token.
      const signed = opts.links?.verify(request.params.deliveryId, request.query.exp, request.query.sig) === true
      const scope = signed ? { tenants: undefined } : await authenticate(request)
      const pushes = await pushDiffs(request.params.deliveryId, scope.tenants)
      if (!pushes) {
        return reply
          .code(202)
          .header('content-type', 'text/html; charset=utf-8')
          .header('content-security-policy', DIFF_PAGE_CSP)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .header('cache-control', 'no-store')
          .header('retry-after', String(IN_PROGRESS_RETRY_SECONDS))
          .send(renderDiffInProgressHtml(IN_PROGRESS_RETRY_SECONDS, opts.timeLimitMs))
      }
      const page = onePage(pushes)
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', DIFF_PAGE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'private, max-age=300')
        .send(renderPushDiffHtml(page))
    },
  )
}

/** Several pushes in one delivery (rare: system hooks) share one page (here and in the console). */
export function onePage(pushes: readonly PushDiff[]): PushDiff {
  return pushes.length === 1
    ? pushes[0]!
    : {
        ...pushes[0]!,
        files: pushes.flatMap((p) => p.files.map((f) => ({ ...f, path: `${p.ref ?? ''}: ${f.path}` }))),
        notes: pushes.flatMap((p) => p.notes),
      }
}
