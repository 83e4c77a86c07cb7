// A budget on the bytes of deliveries in flight (issue #12): each delivery holds its body, its parsed
// payload and its events until the store has committed it, so a server that falls behind (1 MB
// pushes faster than the writer commits them) grew its memory with every request it had read. Past
// `server.maxInFlightBytes` a delivery is answered 503 TAMER_BUSY with Retry-After before its body is
// read (from Content-Length), and nothing of it is stored: the host delivers it again later, as after
// any failed delivery (GitHub from the hook's page or API,
// https://docs.github.com/en/webhooks/testing-and-troubleshooting-webhooks/redelivering-webhooks).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BusyError } from '../errors.js'

/** How long a host is asked to wait: the backlog of one writer batch drains in well under a second. */
export const BUSY_RETRY_AFTER_SECONDS = 5

export interface InFlightBudget {
  /** Bytes of deliveries being read, verified and stored now. */
  readonly bytes: number
}

const isDelivery = (r: FastifyRequest) => r.method === 'POST' && r.url.startsWith('/hooks/')

/** `maxBytes` 0 turns the budget off. One delivery alone is always let in, whatever its size. */
export function registerInFlightBudget(app: FastifyInstance, maxBytes: number): InFlightBudget {
  let bytes = 0
  const held = new WeakMap<FastifyRequest, number>()

  const take = (request: FastifyRequest, size: number) => {
    if (bytes > 0 && bytes + size > maxBytes) throw new BusyError(bytes, maxBytes, BUSY_RETRY_AFTER_SECONDS)
    bytes += size
    held.set(request, (held.get(request) ?? 0) + size)
  }

  if (maxBytes > 0) {
    // Before the body is read: what Content-Length announces (a body longer than that is refused by Node).
    app.addHook('onRequest', async (request, reply) => {
      if (!isDelivery(request)) return
      // Given back once the answer is sent or the connection is gone, whichever comes first (the
      // request's own 'close' comes when its body has been read, too early).
      reply.raw.once('close', () => release(request))
      const announced = Number(request.headers['content-length'])
      if (Number.isFinite(announced) && announced > 0) take(request, announced)
    })
    // A chunked body announces nothing: it is counted once read, and refused then if over.
    app.addHook('preHandler', async (request) => {
      if (!isDelivery(request) || held.has(request)) return
      const length = Buffer.isBuffer(request.body) ? request.body.length : 0
      if (length > 0) take(request, length)
    })
    app.addHook('onResponse', async (request) => release(request))
  }

  function release(request: FastifyRequest) {
    const size = held.get(request)
    if (size === undefined) return
    held.delete(request)
    bytes -= size
  }

  return {
    get bytes() {
      return bytes
    },
  }
}
