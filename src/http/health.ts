// /healthz: the process is up. /readyz: the store commits a write and has room for a delivery.
import type { FastifyPluginAsync } from 'fastify'
import { DrainingError, StoreUnavailableError } from '../errors.js'
import type { DeliveryStore } from '../store/store.js'
import { errors, Status } from './schemas.js'

export interface HealthPluginOptions {
  store: DeliveryStore
  /** Free room the store must have to be ready (a full disk still commits a one-row heartbeat). */
  minRoomBytes?: number
  /** True once a SIGTERM started the drain: /readyz answers 503 so load balancers stop sending. */
  draining?: () => boolean
}

// Probes come every few seconds (Kubernetes, Docker's HEALTHCHECK): at `warn` a healthy probe logs
// nothing, while a failed one still logs its error (app.ts logs every 5xx at `error`). A route's own
// log level, https://fastify.dev/docs/latest/Reference/Routes/#custom-log-level (the top-level
// `disableRequestLogging` is deprecated in Fastify 5 and would hide failures too).
const PROBE_LOG_LEVEL = 'warn'

export const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (app, opts) => {
  app.get(
    '/healthz',
    {
      logLevel: PROBE_LOG_LEVEL,
      schema: { summary: 'The process is up', tags: ['health'], response: { 200: Status('ok'), ...errors } },
    },
    async () => ({ status: 'ok' }),
  )
  app.get(
    '/readyz',
    {
      logLevel: PROBE_LOG_LEVEL,
      schema: {
        summary: 'The store takes writes (503 otherwise)',
        tags: ['health'],
        response: { 200: Status('ready'), ...errors },
      },
    },
    async () => {
      if (opts.draining?.()) throw new DrainingError('draining before exit (SIGTERM)')
      try {
        await opts.store.checkWritable({ minRoomBytes: opts.minRoomBytes })
      } catch (err) {
        if (err instanceof StoreUnavailableError) throw err
        throw new StoreUnavailableError((err as Error).message)
      }
      return { status: 'ready' }
    },
  )
}
