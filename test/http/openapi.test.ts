// GET /openapi.json: a valid OpenAPI 3 document (checked by @readme/openapi-parser) that lists
// every route the app registers — found as they are registered, so routes added later are held
// to it too — each with a summary, typed parameters, a typed success answer and the error shape.
import { channel } from 'node:diagnostics_channel'
import { validate } from '@readme/openapi-parser'
import type { FastifyInstance, RouteOptions } from 'fastify'
import t from 'tap'
import { startPipelineApp } from '../support/pipeline-app.js'

// Every Fastify instance announces itself here on creation (fastify.js), before any route exists.
const routes: RouteOptions[] = []
channel('fastify.initialization').subscribe((message) => {
  ;(message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => void routes.push(route))
})

interface Operation {
  summary?: string
  tags?: string[]
  security?: Record<string, string[]>[]
  parameters?: { in: string; name: string; required?: boolean; schema?: unknown }[]
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>
}

t.test('/openapi.json documents every registered route', async (t) => {
  const h = await startPipelineApp(t)
  const res = await h.app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /application\/json/)
  const doc = res.json() as {
    openapi: string
    paths: Record<string, Record<string, Operation>>
    components: { schemas: Record<string, unknown> }
  }

  const result = await validate(structuredClone(doc) as unknown as Parameters<typeof validate>[0])
  t.same(result, { valid: true, warnings: [], specification: 'OpenAPI' }, 'a valid OpenAPI document')
  t.match(doc.openapi, /^3\.0\./)

  // Every registered route but Fastify's automatic HEAD twins of GET routes.
  const registered = new Set<string>()
  for (const r of routes) {
    if ((r.schema as { hide?: boolean } | undefined)?.hide) continue
    for (const m of [r.method].flat())
      if (m !== 'HEAD') registered.add(`${m.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
  }
  t.ok(registered.size >= 15, `${registered.size} routes registered`)
  const documented = new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
  )
  t.same(
    [...registered].filter((r) => !documented.has(r)),
    [],
    'every registered route is documented',
  )
  t.same(
    [...documented].filter((r) => !registered.has(r)),
    [],
    'nothing documented that is not served',
  )
  for (const must of [
    'post /hooks/github',
    'post /hooks/gitlab',
    'post /hooks/bitbucket',
    'get /api/deliveries/{id}',
    'post /api/jenkins/callback',
    'get /diffs/{deliveryId}',
    'get /openapi.json',
  ])
    t.ok(documented.has(must), `${must} is documented`)

  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const at = `${method.toUpperCase()} ${path}`
      t.ok(op.summary && op.tags?.length, `${at}: summary and tag`)
      const success = Object.entries(op.responses).filter(([code]) => /^2\d\d$/.test(code))
      // 204 has no body to type.
      t.ok(
        success.length > 0 &&
          success.every(([code, r]) => code === '204' || Object.values(r.content ?? {}).some((c) => c.schema?.type)),
        `${at}: a typed success answer`,
      )
      for (const range of ['4XX', '5XX'])
        t.same(
          op.responses[range]?.content?.['application/json']?.schema,
          { $ref: '#/components/schemas/TamerError' },
          `${at}: ${range} is the error shape`,
        )
      for (const [, name] of path.matchAll(/\{(\w+)\}/g))
        t.ok(
          op.parameters?.some((p) => p.in === 'path' && p.name === name && p.required && p.schema),
          `${at}: path parameter ${name} typed`,
        )
      // Jenkins' reports are signed with the callback secret instead (X-Tamer-Signature).
      if (
        path.startsWith('/api/') &&
        ![
          '/api/jenkins/callback',
          '/api/jenkins/metrics',
          '/api/jenkins/signoff',
          '/api/jenkins/parity',
          '/api/jenkins/parity/plan',
        ].includes(path)
      )
        t.ok(
          op.security?.some((s) => 'bearerAuth' in s),
          `${at}: needs a bearer token`,
        )
    }
  }
  t.match(doc.components.schemas.TamerError, { required: ['statusCode', 'code', 'error', 'message'] })
})
