// Rate limits per source and per tenant (issue #9, hardening), on @fastify/rate-limit's
// counters (fixed windows, in memory, per process):
// - every request but the health checks, per source IP, before any work: hooks (and Jenkins'
//   callbacks) on one budget, the API, diff pages and unknown routes on another;
// - the API and diff pages per token identity, once the bearer token checks out;
// - accepted deliveries per tenant: the tenant is only known once a delivery verified, so that
//   check is made by the hooks route just before the delivery is stored (`admitDelivery`).
// A refusal is 429 TAMER_RATE_LIMITED with Retry-After, and nothing is stored.
import { createHash } from 'node:crypto'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config/schema.js'
import { RateLimitedError } from '../errors.js'
import { createBearerAuth, type ApiTokens } from './auth.js'

export type RateLimitSettings = Config['server']['rateLimit']

/** Which budget a request counts against. */
export type RouteClass = 'hooks' | 'api' | 'exempt'

export function routeClass(url: string): RouteClass {
  const path = url.split('?')[0]!
  if (path === '/healthz' || path === '/readyz') return 'exempt'
  // Jenkins' build reports are machine-to-machine and signed, like deliveries.
  if (path.startsWith('/hooks/') || path === '/api/jenkins/callback' || path === '/api/jenkins/metrics') return 'hooks'
  return 'api'
}

/** Called with the verified delivery's tenant, before it is stored; throws 429 when over budget. */
export type AdmitDelivery = (request: FastifyRequest, reply: FastifyReply, tenant: string) => Promise<void>

type Limiter = (request: FastifyRequest, reply: FastifyReply, what: string) => Promise<void>

export async function registerRateLimits(
  app: FastifyInstance,
  s: RateLimitSettings,
  tokens: ApiTokens,
): Promise<AdmitDelivery | null> {
  await app.register(rateLimit, { global: false })

  // Keys of limits that are not per IP, set on the request just before the limiter asks.
  const keys = new WeakMap<FastifyRequest, string>()
  const limiter = (max: number, key?: (r: FastifyRequest) => string): Limiter | null => {
    if (max === 0) return null
    // Each createRateLimit has its own counters, so an IP and a tenant never share a count.
    const check = app.createRateLimit({ max, timeWindow: s.windowMs, ...(key ? { keyGenerator: key } : {}) })
    return async (request, reply, what) => {
      const r = await check(request)
      if (r.isAllowed || !r.isExceeded) return
      reply.header('retry-after', r.ttlInSeconds)
      reply.header('x-ratelimit-limit', r.max)
      reply.header('x-ratelimit-remaining', 0)
      reply.header('x-ratelimit-reset', r.ttlInSeconds)
      throw new RateLimitedError(what, r.ttlInSeconds)
    }
  }
  const byKey = (r: FastifyRequest) => keys.get(r) ?? ''

  const hooksPerSource = limiter(s.hooksPerSource)
  const apiPerSource = limiter(s.apiPerSource)
  const apiPerTenant = limiter(s.apiPerTenant, byKey)
  const hooksPerTenant = limiter(s.hooksPerTenant, byKey)
  const authenticate = createBearerAuth(tokens)

  app.addHook('onRequest', async (request, reply) => {
    const cls = routeClass(request.url)
    if (cls === 'exempt') return
    const perSource = cls === 'hooks' ? hooksPerSource : apiPerSource
    if (perSource) await perSource(request, reply, 'from this source')
    if (cls !== 'api' || !apiPerTenant || !request.headers.authorization) return
    // Only a valid token has an identity to count; an invalid one is refused by the route (401).
    let identity: string
    try {
      // The scope is kept on the request, so the route's requireBearer does not look the token up again.
      request.scope = await authenticate(request)
      identity = identityOf(request.scope.tenants, request.headers.authorization)
    } catch {
      return
    }
    keys.set(request, identity)
    await apiPerTenant(request, reply, 'for this token')
  })

  if (!hooksPerTenant) return null
  return async (request, reply, tenant) => {
    keys.set(request, `tenant:${tenant}`)
    await hooksPerTenant(request, reply, 'for this tenant')
  }
}

/**
 * A token scoped to tenants counts for those tenants (every token of a tenant shares the budget);
 * a token that sees every tenant counts for itself (by its hash: raw tokens are kept nowhere).
 */
export function identityOf(tenants: readonly string[] | undefined, authorization: string): string {
  if (tenants) return `tenants:${[...tenants].sort().join(',')}`
  return `token:${createHash('sha256')
    .update(authorization.replace(/^Bearer\s+/i, '').trim())
    .digest('hex')
    .slice(0, 32)}`
}
