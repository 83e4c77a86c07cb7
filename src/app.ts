// buildApp(deps): the whole HTTP service as one Fastify instance, from dependencies made by the
// composition root (src/compose/): nothing is built here, every route is always registered.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config/schema.js'
import { createTenantResolver } from './config/tenants.js'
import {
  BadRequestError,
  InternalError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  UriTooLongError,
} from './errors.js'
import { apiPlugin } from './http/api.js'
import { diffsPlugin } from './http/diffs.js'
import type { DiffLinks } from './links/diff-links.js'
import type { PushDiffService } from './diffs/service.js'
import { buildsPlugin } from './http/builds.js'
import { callbackPlugin } from './http/jenkins-callback.js'
import { healthPlugin } from './http/health.js'
import { landingPlugin } from './http/landing.js'
import { STORE_RETRY_AFTER_SECONDS } from './store/failures.js'
import { BUSY_RETRY_AFTER_SECONDS, registerInFlightBudget } from './http/in-flight.js'
import { hooksPlugin } from './http/hooks.js'
import { registerOpenApi } from './http/openapi.js'
import { registerRateLimits } from './http/rate-limit.js'
import { registerSecurityHeaders, setSecurityHeaders } from './http/security-headers.js'
import { limitsFromConfig } from './events/limits.js'
import { notificationsPlugin } from './http/notifications.js'
import type { Notifier } from './notify/notifier.js'
import { hostDeliveryIdFromHeaders } from './intake/headers.js'
import { LazyRequestLogger } from './logging.js'
import type { WebhookProvider } from './providers/provider.js'
import type { Pipeline } from './pipeline/index.js'
import type { ServiceStore } from './store/service-store.js'
import type { NewDelivery } from './store/store.js'
import { maskOf } from './security/secrets.js'
import type { ApiAuth } from './http/auth.js'
import { accessPlugin } from './http/access.js'
import { metricsHistoryPlugin, metricsIntakePlugin } from './http/metrics.js'
import { parityIntakePlugin } from './http/parity.js'
import { createParityGate } from './parity/gate.js'
import type { MetricsGate } from './metrics/gate.js'
import { reposPlugin } from './http/repos.js'
import { sharedValidatorCompiler } from './http/validator-compiler.js'
import { replayDelivery } from './pipeline/replay.js'
import { prometheusPlugin, registerDeliveryMetrics } from './http/prometheus.js'
import { deliveryEventLabel, type ServiceMetrics } from './observability/metrics.js'
import { signoffPagesPlugin, signoffRequestPlugin } from './http/signoff.js'
import type { SignoffLinks } from './links/signoff-links.js'
import type { SignoffService } from './signoff/service.js'
import type { ManualReport, RunAccepted, RunTarget } from './pipeline/runs.js'
import type { RepositoryKey } from './store/branches.js'
import { consolePlugin } from './console/plugin.js'
import { redirectUrlOf } from './console/oidc-config.js'
import type { BuildFeed } from './console/build-feed.js'
import { schedulesOf } from './pipeline/schedules.js'

export interface AppDeps {
  config: Config
  store: ServiceStore
  logger: Logger
  now: () => Date
  /** Bearer tokens of the config and of the store (`tamer tokens create`). */
  auth: ApiAuth
  providers: WebhookProvider[]
  /** Routes stored deliveries to Jenkins; its callback route is here, its lifecycle in the composition root. */
  pipeline: Pipeline
  /** Resends dead letters (POST /api/notifications/:id/resend). */
  notifier: Notifier
  /** Push diffs for the pages. */
  pushDiffs: PushDiffService
  links: DiffLinks
  /** Told of each newly stored delivery, after its commit (the composition root's deliveryStored signal). */
  deliveryStored: (deliveryId: string, delivery: NewDelivery) => void
  /** Judges and stores the templates' metrics reports (POST /api/jenkins/metrics). */
  metricsGate: MetricsGate
  /** Sign-off through Tamer (issue #15): the template's request, the parties' links and their pages. */
  signoff: { service: SignoffService; links: SignoffLinks }
  /** The branch registry and runs (issue #14). */
  branches: {
    sync(key: RepositoryKey): Promise<boolean>
    run(t: RunTarget): Promise<RunAccepted>
    adoptManual(r: ManualReport): Promise<RunAccepted | null>
  }
  /** Tells the console's build pages of build changes (the composition root feeds it buildChanged). */
  buildFeed: BuildFeed
  /** The Prometheus metrics (GET /metrics; deliveries counted at intake). */
  metrics: ServiceMetrics
  /** True while the service drains before exit (/readyz answers 503). */
  draining: () => boolean
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
  const { config, store, auth, pipeline, notifier } = deps
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    // The git host's delivery id goes on every line of the request, the first one included, as
    // hostDeliveryId: deliveryId is Tamer's own id of a stored delivery (logged once it is stored).
    childLoggerFactory: (logger, bindings, options, rawRequest) => {
      const withHostId = () => {
        const hostDeliveryId = hostDeliveryIdFromHeaders(rawRequest.headers)
        return hostDeliveryId ? { ...bindings, hostDeliveryId } : bindings
      }
      // A delivery's request logs through it only when refused (its stored line is the route's, hooks.ts).
      return rawRequest.method === 'POST' && rawRequest.url?.startsWith('/hooks/')
        ? new LazyRequestLogger(logger as Logger, withHostId, options)
        : logger.child(withHostId(), options)
    },
    // A delivery logs one line, its outcome (hooks.ts: stored or duplicate; sendError: a refusal), not
    // Fastify's incoming/completed pair besides: three lines a delivery were ~8 % of intake's CPU
    // (issue #12). https://fastify.dev/docs/latest/Reference/Server/#logcontroller (the top-level
    // disableRequestLogging is deprecated, FSTDEP023).
    logController: new LogController({
      disableRequestLogging: (req) => req.method === 'POST' && req.url.startsWith('/hooks/'),
    }),
    // Never hang on a client that stops sending half way.
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    bodyLimit: config.server.maxBodyBytes,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Fastify's validator compiler, one for all the apps of a process (why: src/http/validator-compiler.ts).
    schemaController: { compilersFactory: { buildValidator: sharedValidatorCompiler } },
    // A malformed or over-long URL is refused by the router before any route: the same coded
    // JSON as every other refusal, not Fastify's own body (found by test/http/openapi.test.ts).
    frameworkErrors: (error, request, reply) => (
      setSecurityHeaders(request.raw, reply.raw),
      sendError(error, request, reply)
    ),
  })

  function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    const err = translate(error, config.server.maxBodyBytes, request.headers['content-type']?.split(';')[0])
    const statusCode = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    // A refusal under load is not a failure of Tamer's: one line at warn, not a stack per request.
    if (err.code === 'TAMER_BUSY') request.log.warn({ code: err.code, statusCode }, err.message)
    else if (statusCode >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: err.code, statusCode }, err.message)
    // The store cannot commit now (disk full, locked): the host should deliver again later.
    if (err.code === 'TAMER_STORE_UNAVAILABLE') void reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS))
    if (err.code === 'TAMER_BUSY') void reply.header('retry-after', String(BUSY_RETRY_AFTER_SECONDS))
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
  const admit = await registerRateLimits(app, config.server.rateLimit, auth)
  registerInFlightBudget(app, {
    maxBytes: config.server.maxInFlightBytes,
    maxBytesPerSource: config.server.maxInFlightBytesPerSource,
  })
  // Before the routes too: it documents each one as it is added (GET /openapi.json).
  await registerOpenApi(app)
  registerDeliveryMetrics(app, deps.metrics)

  // The delivery is durable when deliveryStored is told; nothing it sets off holds the webhook's answer back.
  const intake = {
    store,
    tenantOf: createTenantResolver(config),
    now: deps.now,
    maxEvents: limitsFromConfig(config).maxEvents,
    onStored: deps.deliveryStored,
    recorded: (d: NewDelivery, duplicate: boolean, seconds: number) => {
      deps.metrics.delivery(d.provider, deliveryEventLabel(d), duplicate ? 'duplicate' : 'stored')
      deps.metrics.storeCommit(seconds)
    },
  }
  await app.register(hooksPlugin, {
    intake,
    providers: deps.providers,
    maxBodyBytes: config.server.maxBodyBytes,
    admit,
  })
  await app.register(apiPlugin, {
    store,
    tokens: auth,
    dispatchOf: (id) => store.getDispatch(id),
    replay: (r) => replayDelivery({ store, now: () => deps.now().getTime(), stored: deps.deliveryStored }, r),
    audit: (e) => store.recordAudit(e),
  })
  // Ready only with room for the largest delivery twice over (its body, then its events).
  await app.register(healthPlugin, {
    store,
    minRoomBytes: 2 * config.server.maxBodyBytes,
    draining: deps.draining,
  })
  if (config.prometheus.enabled)
    await app.register(prometheusPlugin, { metrics: deps.metrics, token: config.prometheus.token })
  await app.register(landingPlugin, { providers: deps.providers, jenkinsConfigured: config.jenkins.url !== '' })
  await app.register(diffsPlugin, {
    store,
    tokens: auth,
    pushDiffs: deps.pushDiffs,
    links: deps.links,
    pageWaitMs: config.diffs.pageWaitMs,
    timeLimitMs: config.diffs.timeLimitMs,
  })
  const mask = maskOf(config)
  await app.register(buildsPlugin, { store, tokens: auth, mask })
  await app.register(callbackPlugin, {
    pipeline,
    secret: config.jenkins.callbackSecret,
    manual: async (r) => (await deps.branches.adoptManual(r)) !== null,
  })
  await app.register(metricsIntakePlugin, {
    gate: deps.metricsGate,
    secret: config.jenkins.callbackSecret,
    maxBodyBytes: config.metrics.maxBodyBytes,
    maxMetrics: config.metrics.maxMetrics,
  })
  await app.register(metricsHistoryPlugin, { store, tokens: auth })
  await app.register(parityIntakePlugin, {
    gate: createParityGate({ store, metrics: deps.metricsGate, logger: app.log }),
    secret: config.jenkins.callbackSecret,
    maxBodyBytes: config.metrics.parityMaxBodyBytes,
  })
  await app.register(signoffRequestPlugin, { service: deps.signoff.service, secret: config.jenkins.callbackSecret })
  await app.register(signoffPagesPlugin, {
    service: deps.signoff.service,
    store,
    links: deps.signoff.links,
    secureCookie: config.jenkins.publicUrl.startsWith('https:'),
  })
  await app.register(notificationsPlugin, {
    store,
    tokens: auth,
    mask,
    resend: (id) => notifier.resend(id),
    audit: (e) => store.recordAudit(e),
  })
  await app.register(reposPlugin, {
    store,
    tokens: auth,
    sync: (k) => deps.branches.sync(k),
    run: (t) => deps.branches.run(t),
    audit: (e) => store.recordAudit(e),
  })
  await app.register(consolePlugin, {
    store,
    auth,
    configTokens: config.api.tokens,
    sessionSecret: config.console.sessionSecret,
    sessionHours: config.console.sessionHours,
    https: config.jenkins.publicUrl.startsWith('https:'),
    oidc: config.console.oidc.issuer ? { config: config.console.oidc, redirectUrl: redirectUrlOf(config) } : null,
    tenants: [...new Set([...config.tenants.map((t) => t.name), config.defaultTenant])],
    config,
    schedules: schedulesOf(config),
    mask,
    feed: deps.buildFeed,
    pushDiffs: deps.pushDiffs,
    pageWaitMs: config.diffs.pageWaitMs,
    run: (t) => deps.branches.run(t),
    resend: (id) => notifier.resend(id),
    audit: (e) => store.recordAudit(e),
    now: deps.now,
  })
  await app.register(accessPlugin, {
    store,
    tokens: auth,
    tenants: [...config.tenants.map((t) => t.name), config.defaultTenant],
  })

  for (const p of deps.providers)
    if (!p.configured) app.log.warn(`${p.route} deliveries will be refused: no secret is configured for them`)
  if (config.api.tokens.length === 0)
    app.log.warn(
      `no API token is configured (TAMER_API_TOKEN): the API takes only tokens made with \`tamer tokens create\``,
    )
  return app
}
