// /healthz: the process is up. /readyz: the store takes writes.
import type { FastifyPluginAsync } from 'fastify'
import { StoreUnavailableError } from '../errors.js'
import type { DeliveryStore } from '../store/store.js'

export const healthPlugin: FastifyPluginAsync<{ store: DeliveryStore }> = async (app, opts) => {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async () => {
    try {
      await opts.store.checkWritable()
    } catch (err) {
      throw new StoreUnavailableError((err as Error).message)
    }
    return { status: 'ready' }
  })
}
