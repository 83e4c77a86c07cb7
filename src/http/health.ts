// /healthz: the process is up. /readyz: the store commits a write and has room for a delivery.
import type { FastifyPluginAsync } from 'fastify'
import { StoreUnavailableError } from '../errors.js'
import type { DeliveryStore } from '../store/store.js'
import { errors, Status } from './schemas.js'

export interface HealthPluginOptions {
  store: DeliveryStore
  /** Free room the store must have to be ready (a full disk still commits a one-row heartbeat). */
  minRoomBytes?: number
}

export const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (app, opts) => {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['health'], response: { 200: Status('ok'), ...errors } } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { summary: 'The store takes writes (503 otherwise)', tags: ['health'], response: { 200: Status('ready'), ...errors } } }, async () => {
    try {
      await opts.store.checkWritable({ minRoomBytes: opts.minRoomBytes })
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err
      throw new StoreUnavailableError((err as Error).message)
    }
    return { status: 'ready' }
  })
}
