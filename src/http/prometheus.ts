// GET /metrics in Prometheus' text format (issue #16), and the request hook that counts webhook
// webhook requests. The hook is the root's (registered before the routes, like the security headers), so
// it sees every answer of /hooks/*, refusals included, without the intake knowing of metrics.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { UnauthorizedError } from '../errors.js'
import type { DeliveryOutcome, ServiceMetrics } from '../observability/metrics.js'
import { tokenMatches } from '../security/compare.js'
import { errors } from './schemas.js'

function outcomeOf(status: number): DeliveryOutcome | null {
  if (status < 400) return null // stored or duplicate: counted by the intake, which knows which (compose/index.ts)
  if (status === 401) return 'unauthorized'
  if (status === 429) return 'rate-limited'
  if (status === 503) return 'unavailable'
  return status < 500 ? 'bad-request' : 'error'
}

/** Times every answer of the webhook routes and counts their refusals. Register before the routes. */
export function registerDeliveryMetrics(app: FastifyInstance, metrics: ServiceMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url
    if (request.method !== 'POST' || !route?.startsWith('/hooks/')) return
    const host = route.slice('/hooks/'.length)
    const outcome = outcomeOf(reply.statusCode)
    // A refused delivery was not verified: its event header is anyone's, so it is not a label.
    if (outcome) metrics.delivery(host, 'unverified', outcome)
    metrics.intake(host, outcome ?? 'accepted', reply.elapsedTime / 1000)
  })
}

export interface PrometheusPluginOptions {
  metrics: ServiceMetrics
  /** Bearer token the scraper must send; empty: open. */
  token: string
}

export const prometheusPlugin: FastifyPluginAsync<PrometheusPluginOptions> = async (app, opts) => {
  app.get(
    '/metrics',
    {
      // Scraped every few seconds: like the probes, a good scrape logs nothing.
      logLevel: 'warn',
      schema: {
        summary: "The service's metrics in Prometheus' text format (a bearer token when prometheus.token is set)",
        tags: ['health'],
        response: {
          200: {
            description: "Prometheus' text exposition format",
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      if (opts.token !== '') {
        const m = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')
        if (!m || !tokenMatches(m[1]!, [opts.token])) throw new UnauthorizedError()
      }
      const text = await opts.metrics.scrape()
      return reply.type(opts.metrics.contentType).send(text)
    },
  )
}
