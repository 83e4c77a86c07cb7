// GET /diffs/:deliveryId (the HTML page of a push) and GET /api/diffs/:deliveryId (files and
// nbdime-format diffs), behind the same bearer tokens and tenant scopes as /api/deliveries.
// The diffs come from the push-diff service (memory, store, or rendered now and stored).
import type { FastifyPluginAsync } from 'fastify'
import type { PushDiffService } from '../diffs/service.js'
import { DIFF_PAGE_CSP, renderPushDiffHtml, type FileDiff, type PushDiff } from '../notebooks/render.js'
import type { DeliveryStore } from '../store/store.js'
import { createBearerAuth, visibleTo, type ApiTokens } from './auth.js'
import type { DiffLinks } from './links.js'

export interface DiffsPluginOptions {
  store: DeliveryStore
  tokens: ApiTokens
  pushDiffs: PushDiffService
  /** Signed links open one page without a bearer token. */
  links?: DiffLinks
}

const Params = { type: 'object', properties: { deliveryId: { type: 'string', maxLength: 100 } }, required: ['deliveryId'] } as const

/** The JSON shape of one file: the base notebook stays out (it can be tens of MB of images). */
function fileJson(f: FileDiff) {
  const common = { path: f.path, oldPath: f.oldPath, status: f.status, kind: f.kind }
  if (f.kind === 'notebook') return { ...common, summary: f.summary, diff: f.diff }
  if (f.kind === 'text') return { ...common, unified: f.unified }
  return { ...common, reason: f.reason, note: f.note, ...(f.unified !== undefined ? { unified: f.unified } : {}) }
}

export const diffsPlugin: FastifyPluginAsync<DiffsPluginOptions> = async (app, opts) => {
  const authenticate = createBearerAuth(opts.tokens)

  async function pushDiffs(deliveryId: string, tenants: readonly string[] | undefined): Promise<PushDiff[]> {
    // Checked before the diff service: a stored diff of another tenant's delivery stays a 404.
    return opts.pushDiffs.diffsOf(visibleTo(await opts.store.getDelivery(deliveryId), tenants, 'delivery'))
  }

  app.get<{ Params: { deliveryId: string } }>('/api/diffs/:deliveryId', { schema: { params: Params } }, async (request) => {
    const scope = await authenticate(request)
    const pushes = await pushDiffs(request.params.deliveryId, scope.tenants)
    return {
      deliveryId: request.params.deliveryId,
      pushes: pushes.map((p) => ({ repository: p.repository, ref: p.ref, base: p.base, head: p.head, notes: p.notes, files: p.files.map(fileJson) })),
    }
  })

  const LinkQuery = { type: 'object', properties: { exp: { type: 'string', maxLength: 20 }, sig: { type: 'string', maxLength: 100 } } } as const
  app.get<{ Params: { deliveryId: string }; Querystring: { exp?: string; sig?: string } }>('/diffs/:deliveryId', { schema: { params: Params, querystring: LinkQuery } }, async (request, reply) => {
    // A valid signed link opens this one page; anything else needs a bearer token.
    const signed = opts.links?.verify(request.params.deliveryId, request.query.exp, request.query.sig) === true
    const scope = signed ? { tenants: undefined } : await authenticate(request)
    const pushes = await pushDiffs(request.params.deliveryId, scope.tenants)
    // Several pushes in one delivery (rare: system hooks) share one page.
    const page: PushDiff = pushes.length === 1 ? pushes[0]! : {
      ...pushes[0]!,
      files: pushes.flatMap((p) => p.files.map((f) => ({ ...f, path: `${p.ref ?? ''}: ${f.path}` }))),
      notes: pushes.flatMap((p) => p.notes),
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', DIFF_PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'private, max-age=300')
      .send(renderPushDiffHtml(page))
  })
}
