// Refusals Fastify makes before a route runs — schema validation, a malformed or over-long URL —
// answer like every other refusal: {statusCode, code: TAMER_*, error, message}, with the
// security headers (before: FST_* codes, and for a bad URL Fastify's own body without the security headers).
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { SECRETS, startTestApp } from '../support/app.js'

t.test('what Fastify refuses on its own is a coded refusal with the security headers', async (t) => {
  const h = await startTestApp(t)
  const auth = { authorization: `Bearer ${SECRETS.api}` }
  const cases: [string, InjectOptions, number, string][] = [
    ['no token', { method: 'GET', url: '/api/deliveries' }, 401, 'TAMER_UNAUTHORIZED'],
    [
      'a query parameter out of range',
      { method: 'GET', url: '/api/deliveries?limit=0', headers: auth },
      400,
      'TAMER_BAD_REQUEST',
    ],
    [
      'a value not in the enum',
      { method: 'GET', url: '/api/builds?state=nope', headers: auth },
      400,
      'TAMER_BAD_REQUEST',
    ],
    [
      'a path parameter too long for the router',
      { method: 'GET', url: `/api/notifications/${'x'.repeat(101)}`, headers: auth },
      414,
      'TAMER_URI_TOO_LONG',
    ],
    [
      'a path that is not valid percent-encoding',
      { method: 'GET', url: '/api/deliveries/%zz', headers: auth },
      400,
      'TAMER_BAD_REQUEST',
    ],
    ['no such route', { method: 'GET', url: '/nope' }, 404, 'TAMER_NOT_FOUND'],
  ]
  for (const [what, request, status, code] of cases) {
    const res = await h.app.inject(request)
    t.equal(res.statusCode, status, what)
    const body = res.json() as Record<string, unknown>
    t.same(
      Object.keys(body).sort(),
      ['code', 'error', 'message', 'statusCode'],
      `${what}: {statusCode, code, error, message}`,
    )
    t.match(body, { statusCode: status, code, error: String, message: String }, what)
    t.ok(res.headers['x-content-type-options'], `${what}: with the security headers`)
  }
})
