// The validator compiler the apps of a process share (src/http/validator-compiler.ts) validates exactly as
// Fastify's own per-app compiler does: the same routes on both answer the same requests alike, coercion,
// defaults, removed properties, formats and header names included. The real routes run on it in every
// route test (buildApp uses it).
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify'
import t from 'tap'
import { sharedValidatorCompiler } from '../../src/http/validator-compiler.js'

const Item = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'at'],
  properties: {
    name: { type: 'string', minLength: 1 },
    at: { type: 'string', format: 'date-time' },
    link: { type: 'string', format: 'uri' },
    mail: { type: 'string', format: 'email' },
    count: { type: 'integer', default: 1 },
    tags: { type: 'array', items: { type: 'string' }, default: [] },
  },
}

// Built per app, as the service's routes build theirs: the shared compiler matches them by their text.
function routes(app: FastifyInstance) {
  app.post(
    '/items/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } },
        querystring: {
          type: 'object',
          properties: { dry: { type: 'boolean', default: false }, only: { type: 'array', items: { type: 'string' } } },
        },
        headers: { type: 'object', required: ['x-tamer-key'], properties: { 'x-tamer-key': { type: 'string' } } },
        body: structuredClone(Item),
      },
    },
    async (request) => ({ params: request.params, query: request.query, body: request.body }),
  )
}

async function app(shared: boolean) {
  const app = Fastify(
    shared ? { schemaController: { compilersFactory: { buildValidator: sharedValidatorCompiler } } } : {},
  )
  routes(app)
  await app.ready()
  return app
}

const at = '2026-12-07T15:00:00Z'
const requests: [string, InjectOptions][] = [
  [
    'coerced, defaulted, an unknown property removed',
    {
      url: '/items/7?only=a',
      payload: { name: 'n', at, count: '3', extra: true },
    },
  ],
  ['query and header refusals', { url: '/items/7?dry=perhaps', payload: { name: 'n', at } }],
  ['a bad date-time', { url: '/items/7', payload: { name: 'n', at: 'yesterday' } }],
  ['a bad uri', { url: '/items/7', payload: { name: 'n', at, link: 'not a uri' } }],
  ['a bad email', { url: '/items/7', payload: { name: 'n', at, mail: 'nobody' } }],
  ['a params refusal', { url: '/items/0', payload: { name: 'n', at } }],
  ['a missing property', { url: '/items/7', payload: { at } }],
  ['an empty body', { url: '/items/7' }],
]

t.test('the shared compiler answers every request as Fastify’s own does', async (t) => {
  const own = await app(false)
  const shared = await app(true)
  const again = await app(true)
  t.teardown(() => Promise.all([own.close(), shared.close(), again.close()]))
  const answers: Record<string, { status: number; body: unknown }> = {}
  for (const [what, request] of requests) {
    const headers = what.includes('header') ? {} : { 'X-Tamer-Key': 'k' }
    const req: InjectOptions = { method: 'POST', ...request, headers }
    const [a, b, c] = await Promise.all([own.inject(req), shared.inject(req), again.inject(req)])
    const expected = { status: a.statusCode, body: a.json() }
    t.same({ status: b.statusCode, body: b.json() }, expected, `${what}: as Fastify's own compiler`)
    t.same({ status: c.statusCode, body: c.json() }, expected, `${what}: a second app, validators shared`)
    answers[what] = expected
  }
  // What the comparison covered (Fastify's own answers): each behaviour happened.
  t.same(answers['coerced, defaulted, an unknown property removed']!.body, {
    params: { id: 7 },
    query: { dry: false, only: ['a'] },
    body: { name: 'n', at, count: 3, tags: [] },
  })
  for (const [what] of requests.slice(1)) t.equal(answers[what]!.status, 400, `${what}: refused`)
})

t.test('apps share one validator per schema text', async (t) => {
  const options = { customOptions: {}, plugins: [] }
  const first = sharedValidatorCompiler({}, options)({ schema: structuredClone(Item), httpPart: 'body' })
  const second = sharedValidatorCompiler({}, options)({ schema: structuredClone(Item), httpPart: 'body' })
  t.equal(second, first)
  const other = sharedValidatorCompiler({}, options)({ schema: { ...Item, required: ['name'] }, httpPart: 'body' })
  t.not(other, first, 'another schema, another validator')
})

t.test('an $id is per app, as with Fastify’s own compiler', async (t) => {
  const answers: number[] = []
  for (const required of [['a'], ['b']]) {
    const app = Fastify({ schemaController: { compilersFactory: { buildValidator: sharedValidatorCompiler } } })
    t.teardown(() => app.close())
    app.post('/', { schema: { body: { $id: 'Thing', type: 'object', required } } }, async () => 'ok')
    answers.push((await app.inject({ method: 'POST', url: '/', payload: { a: 1 } })).statusCode)
  }
  t.same(answers, [200, 400], "the second app's Thing requires b")
})

t.test('a header named in capitals is refused at start-up, not left never to match', async (t) => {
  const app = Fastify({ schemaController: { compilersFactory: { buildValidator: sharedValidatorCompiler } } })
  t.teardown(() => app.close())
  app.get(
    '/h',
    { schema: { headers: { type: 'object', required: ['X-Tamer-Key'], properties: { 'X-Tamer-Key': {} } } } },
    async () => 'ok',
  )
  await t.rejects(async () => app.ready(), /bug: GET \/h: write the header name "X-Tamer-Key" in lower case/)
  // Fastify's own compiler lowercases it (why the shared one refuses what it cannot match).
  const own = Fastify()
  t.teardown(() => own.close())
  own.get('/h', { schema: { headers: { type: 'object', required: ['X-Tamer-Key'] } } }, async () => 'ok')
  t.equal((await own.inject({ url: '/h', headers: { 'x-tamer-key': 'k' } })).statusCode, 200)
})
