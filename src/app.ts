// buildApp(deps): the whole HTTP service as one Fastify instance; tests call it directly.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config/schema.js'
import { createTenantResolver } from './config/tenants.js'
import { BadRequestError, InternalError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, UriTooLongError } from './errors.js'
import { apiPlugin } from './http/api.js'
import { diffsPlugin } from './http/diffs.js'
import { diffLinksFromConfig } from './links/diff-links.js'
import { mirrorCacheFromConfig, type MirrorCache } from './git/mirror.js'
import { nativeEngine, type DiffEngine } from './engines/engine.js'
import { createDiffPrecompute } from './diffs/precompute.js'
import { diffWorkers } from './diffs/engine.js'
import { perTenantSlots } from './diffs/fair-engine.js'
import { createPushDiffRetention } from './diffs/retention.js'
import { pushDiffServiceFromConfig, pushEventsOf, type PushDiffService } from './diffs/service.js'
import type { PushDiffStore } from './store/push-diffs.js'
import { resolve } from 'node:path'
import { buildsPlugin } from './http/builds.js'
import { callbackPlugin } from './http/jenkins-callback.js'
import { healthPlugin } from './http/health.js'
import { STORE_RETRY_AFTER_SECONDS } from './store/failures.js'
import { hooksPlugin } from './http/hooks.js'
import { registerOpenApi } from './http/openapi.js'
import { registerRateLimits } from './http/rate-limit.js'
import { registerSecurityHeaders, setSecurityHeaders } from './http/security-headers.js'
import { limitsFromConfig } from './events/limits.js'
import { notificationsPlugin } from './http/notifications.js'
import type { Notifier } from './notify/notifier.js'
import type { NotificationStore } from './store/notifications.js'
import { hostDeliveryIdFromHeaders } from './intake/headers.js'
import { createProviders } from './providers/index.js'
import type { Pipeline } from './pipeline/index.js'
import type { BuildStore } from './store/builds.js'
import type { DeliveryStore, NewDelivery } from './store/store.js'
import { maskOf } from './security/secrets.js'
import type { SecurityStore } from './store/security.js'
import { createApiAuth } from './http/auth.js'
import { accessPlugin } from './http/access.js'

export interface AppDeps {
  config: Config
  store: DeliveryStore
  logger?: Logger
  now?: () => Date
  /** Routes stored deliveries to Jenkins; started when the app is ready, stopped on close. */
  pipeline?: Pipeline
  /** Git mirrors for /diffs (default: <dataDir>/mirrors, from config.git: configured hosts, https, public addresses). */
  mirrors?: MirrorCache
  /** Notebook diff engine for /diffs (default native; see createDiffEngine for nbdime). */
  diffEngine?: DiffEngine
  /** Push diffs for pages and precompute (default: from config.diffs, mirrors, diffEngine and the store). */
  pushDiffs?: PushDiffService
  /** Decides and sends notices about finished builds; started when the app is ready, stopped on close. */
  notifier?: Notifier
}

function hasNotifications(store: DeliveryStore): store is DeliveryStore & NotificationStore {
  return typeof (store as Partial<NotificationStore>).listNotifications === 'function'
}

function hasBuilds(store: DeliveryStore): store is DeliveryStore & BuildStore {
  return typeof (store as Partial<BuildStore>).listBuilds === 'function'
}

function hasSecurity(store: DeliveryStore): store is DeliveryStore & SecurityStore {
  return typeof (store as Partial<SecurityStore>).findApiToken === 'function'
}

function hasPushDiffs(store: DeliveryStore): store is DeliveryStore & PushDiffStore {
  return typeof (store as Partial<PushDiffStore>).getPushDiff === 'function'
}

/** Fastify's router refuses longer path parameters (ids are at most 100 characters anyway). */
const MAX_PARAM_LENGTH = 100

/** Fastify's own content errors, renamed into our catalogue. */
function translate(err: FastifyError, maxBodyBytes: number, contentType: string | undefined): FastifyError {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new PayloadTooLargeError(maxBodyBytes)
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new UnsupportedMediaTypeError(contentType || '(none)')
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return new UriTooLongError(MAX_PARAM_LENGTH)
  // Schema validation and Fastify's other refusals of a request (bad JSON, a bad URL): one code.
  if (err.statusCode === 400 && !err.code?.startsWith('TAMER_')) return new BadRequestError(err.message)
  // Anything else outside the catalogue (a bug, a library's or the system's error such as
  // SQLITE_CORRUPT): 500 TAMER_INTERNAL, its own code and message in the log only.
  if (!err.code?.startsWith('TAMER_')) return new InternalError()
  return err
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store } = deps
  const now = deps.now ?? (() => new Date())
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger | undefined,
    genReqId: () => randomUUID(),
    // The git host's delivery id goes on every line of the request, the first one included, as
    // hostDeliveryId: deliveryId is Tamer's own id of a stored delivery (logged once it is stored).
    childLoggerFactory: (logger, bindings, options, rawRequest) => {
      const hostDeliveryId = hostDeliveryIdFromHeaders(rawRequest.headers)
      return logger.child(hostDeliveryId ? { ...bindings, hostDeliveryId } : bindings, options)
    },
    // Never hang on a client that stops sending half way.
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    bodyLimit: config.server.maxBodyBytes,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A malformed or over-long URL is refused by the router before any route: the same coded
    // JSON as every other refusal, not Fastify's own body (found by test/http/openapi.test.ts).
    frameworkErrors: (error, request, reply) => (setSecurityHeaders(request.raw, reply.raw), sendError(error, request, reply)),
  })

  function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const err = translate(error, config.server.maxBodyBytes, request.headers['content-type']?.split(';')[0])
    const statusCode = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: err.code, statusCode }, err.message)
    // The store cannot commit now (disk full, locked): the host should deliver again later.
    if (err.code === 'TAMER_STORE_UNAVAILABLE') void reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS))
    return reply.code(statusCode).send({
      statusCode,
      code: err.code,
      error: STATUS_CODES[statusCode] ?? 'Error',
      message: err.message,
    })
  }
  app.setErrorHandler(sendError)
  app.setNotFoundHandler((request, reply) => {
    const err = new NotFoundError(`route ${request.method} ${request.url.split('?')[0]}`)
    return reply.code(404).send({ statusCode: 404, code: err.code, error: 'Not Found', message: err.message })
  })

  // Before every route: headers on every answer (errors too), limits before any work.
  await registerSecurityHeaders(app)
  // Tokens of the config and those made with `tamer tokens create` (stored hashed).
  const security = hasSecurity(store) ? store : null
  const auth = createApiAuth(config.api.tokens, security ? (hash) => security.findApiToken(hash) : null)
  const admit = await registerRateLimits(app, config.server.rateLimit, auth)
  // Before the routes too: it documents each one as it is added (GET /openapi.json).
  await registerOpenApi(app)

  const providers = createProviders(config)
  const pipeline = deps.pipeline
  const mirrors = deps.mirrors ?? mirrorCacheFromConfig(config, resolve(config.dataDir, 'mirrors'))
  const pushDiffs =
    deps.pushDiffs ??
    pushDiffServiceFromConfig(config, { mirrors, engine: deps.diffEngine ?? nativeEngine, store: hasPushDiffs(store) ? store : null, logger: app.log })
  const workers = diffWorkers(config)
  const precompute = config.diffs.precompute
    ? createDiffPrecompute({ service: pushDiffs, deliveries: store, logger: app.log, concurrency: workers, perTenant: perTenantSlots(workers) })
    : null
  if (precompute) app.addHook('onClose', async () => precompute.stop())
  if (hasPushDiffs(store) && config.diffs.storeDays > 0) {
    const retention = createPushDiffRetention({ store, days: config.diffs.storeDays, logger: app.log })
    app.addHook('onReady', async () => retention.start())
    app.addHook('onClose', async () => retention.stop())
  }

  // What a newly stored delivery sets off. The delivery is already durable, and none of these
  // holds the webhook's answer back.
  const onAccepted: ((id: string, d: NewDelivery) => void)[] = []
  if (pipeline)
    onAccepted.push((_id, d) => {
      if (d.status === 'pending') pipeline.wake()
    })
  if (precompute)
    onAccepted.push((id, d) => {
      if (pushEventsOf(d).length > 0) precompute.enqueue(id, d.tenant)
    })
  const intake = {
    store,
    tenantOf: createTenantResolver(config),
    now,
    maxEvents: limitsFromConfig(config).maxEvents,
    onStored: (id: string, d: NewDelivery) => onAccepted.forEach((f) => f(id, d)),
  }
  await app.register(hooksPlugin, { intake, providers, maxBodyBytes: config.server.maxBodyBytes, admit })
  await app.register(apiPlugin, { store, tokens: auth, dispatchOf: hasBuilds(store) ? (id) => store.getDispatch(id) : undefined })
  // Ready only with room for the largest delivery twice over (its body, then its events).
  await app.register(healthPlugin, { store, minRoomBytes: 2 * config.server.maxBodyBytes })
  const links = diffLinksFromConfig(config, () => now().getTime())
  await app.register(diffsPlugin, { store, tokens: auth, pushDiffs, links, pageWaitMs: config.diffs.pageWaitMs, timeLimitMs: config.diffs.timeLimitMs })
  const mask = maskOf(config)
  if (hasBuilds(store)) await app.register(buildsPlugin, { store, tokens: auth, mask })
  if (pipeline) {
    await app.register(callbackPlugin, { pipeline, secret: config.jenkins.callbackSecret })
    app.addHook('onReady', async () => pipeline.start())
    app.addHook('onClose', async () => pipeline.stop())
  }

  const notifier = deps.notifier
  if (hasNotifications(store))
    await app.register(notificationsPlugin, { store, tokens: auth, mask, resend: notifier ? (id) => notifier.resend(id) : undefined, audit: security ? (e) => security.recordAudit(e) : undefined })
  if (security) await app.register(accessPlugin, { store: security, tokens: auth, tenants: [...config.tenants.map((t) => t.name), config.defaultTenant] })
  if (notifier) {
    app.addHook('onReady', async () => notifier.start())
    app.addHook('onClose', async () => notifier.stop())
  }

  for (const p of providers)
    if (!p.configured) app.log.warn(`${p.route} deliveries will be refused: no secret is configured for them`)
  if (config.api.tokens.length === 0)
    app.log.warn(`no API token is configured (TAMER_API_TOKEN): the API takes ${security ? 'only tokens made with `tamer tokens create`' : 'no request'}`)
  return app
}
