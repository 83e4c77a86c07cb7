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

export interface InFlightLimits {
  /** `server.maxInFlightBytes`; 0 turns the budget off. */
  maxBytes: number
  /**
   * `server.maxInFlightBytesPerSource`: what one source address may hold of it (0: no share). Bodies
   * count before their signature is checked, so without a share one sender of large forged uploads
   * could fill the budget and keep the hosts' signed deliveries out. Keyed like the per-source rate
   * limit (src/http/rate-limit.ts), by `request.ip`.
   */
  maxBytesPerSource: number
}

const isDelivery = (r: FastifyRequest) => r.method === 'POST' && r.url.startsWith('/hooks/')

/** One delivery alone is always let in, whatever its size; so is a source's first. */
export function registerInFlightBudget(app: FastifyInstance, limits: InFlightLimits): InFlightBudget {
  const { maxBytes, maxBytesPerSource } = limits
  let bytes = 0
  const bySource = new Map<string, number>()
  const held = new WeakMap<FastifyRequest, { source: string; size: number }>()

  const take = (request: FastifyRequest, size: number) => {
    const source = request.ip
    const sourceBytes = bySource.get(source) ?? 0
    if (bytes > 0 && bytes + size > maxBytes) {
      throw new BusyError(bytes, 'server.maxInFlightBytes', maxBytes, BUSY_RETRY_AFTER_SECONDS)
    }
    if (maxBytesPerSource > 0 && sourceBytes > 0 && sourceBytes + size > maxBytesPerSource) {
      throw new BusyError(sourceBytes, 'server.maxInFlightBytesPerSource', maxBytesPerSource, BUSY_RETRY_AFTER_SECONDS)
    }
    bytes += size
    bySource.set(source, sourceBytes + size)
    held.set(request, { source, size }) // once per request: by Content-Length, or (none announced) once read
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
    const h = held.get(request)
    if (h === undefined) return
    held.delete(request)
    bytes -= h.size
    const left = (bySource.get(h.source) ?? 0) - h.size
    if (left > 0) bySource.set(h.source, left)
    else bySource.delete(h.source)
  }

  return {
    get bytes() {
      return bytes
    },
  }
}
