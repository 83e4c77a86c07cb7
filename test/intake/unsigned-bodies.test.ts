// Issue #9, item 4: a body is parsed only after its signature holds, so an unauthenticated
// request costs an HMAC per configured secret and nothing more, and cannot stall the server.
import t from 'tap'
import { startTestApp, testConfig, type TestApp } from '../support/app.js'
import * as P from '../support/payloads.js'
import { signedBitbucketCloud, signedBitbucketServer, signedGitHub, signedGitLab } from '../support/sign.js'

/** Counts JSON.parse calls on large strings, in this process (where the server runs). */
function countLargeParses(t: { teardown(fn: () => unknown): void }, minChars: number) {
  const original = JSON.parse
  const counter = { large: 0 }
  JSON.parse = function (text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) {
    if (typeof text === 'string' && text.length >= minChars) counter.large++
    return original(text, reviver)
  } as typeof JSON.parse
  t.teardown(() => {
    JSON.parse = original
  })
  return counter
}

/** ~`bytes` of valid JSON with a key every 6 bytes (a body that is costly to parse), made cheaply. */
function manyKeys(bytes: number): Buffer {
  return Buffer.concat([Buffer.from('{'), Buffer.alloc(bytes - (bytes % 6), '"k":1,'), Buffer.from('"z":1}')])
}

const count = async (h: TestApp) => (await h.store.listDeliveries({ limit: 1000 })).length

t.test('unsigned large and deeply nested bodies are refused without being parsed, on every host', async (t) => {
  const config = testConfig({
    providers: {
      github: { secrets: ['gh-shared'], repositories: [{ match: 'risk-team/*', secrets: ['gh-risk'] }] },
      gitlab: { tokens: ['gl-shared'], repositories: [{ match: 'risk-team/*', tokens: ['gl-risk'] }] },
      bitbucket: { secrets: ['bb-shared'], repositories: [{ match: 'RISK/*', secrets: ['bb-risk'] }] },
    },
  })
  const h = await startTestApp(t, { config })
  const parses = countLargeParses(t, 100_000)
  const big = manyKeys(4 * 1024 * 1024)
  const deep = Buffer.from('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000))
  for (const [label, body] of [
    ['many keys', big.toString()],
    ['deeply nested', deep.toString()],
  ] as const) {
    const cases = [
      ['github', signedGitHub('push', body, { secret: 'not-a-secret' })],
      ['gitlab', signedGitLab('Push Hook', body, { token: 'not-a-token' })],
      ['bitbucket', signedBitbucketCloud('repo:push', body, { secret: 'not-a-secret' })],
      ['bitbucket', signedBitbucketServer('repo:refs_changed', body, { secret: 'not-a-secret' })],
    ] as const
    for (const [route, d] of cases) {
      const res = await h.app.inject({ method: 'POST', url: `/hooks/${route}`, headers: d.headers, payload: d.body })
      t.equal(res.statusCode, 401, `${route} ${label}`)
      t.equal(res.json().code, 'TAMER_BAD_SIGNATURE')
    }
    // GitHub's form bodies are not decoded either.
    const form = `payload=${encodeURIComponent(body)}`
    const f = signedGitHub('push', form, { secret: 'not-a-secret' })
    f.headers['content-type'] = 'application/x-www-form-urlencoded'
    t.equal(
      (await h.app.inject({ method: 'POST', url: '/hooks/github', headers: f.headers, payload: f.body })).statusCode,
      401,
      `github form ${label}`,
    )
  }
  t.equal(parses.large, 0, 'no unauthenticated body reached JSON.parse')
  t.equal(await count(h), 0, 'nothing stored')

  // A signed body is still parsed, and a signed malformed one is a 400 naming the problem.
  const signed = signedGitHub('push', P.githubPush({ padding: 'x'.repeat(200_000) }), { secret: 'gh-shared' })
  t.equal(
    (await h.app.inject({ method: 'POST', url: '/hooks/github', headers: signed.headers, payload: signed.body }))
      .statusCode,
    202,
  )
  t.equal(parses.large, 1, 'the signed body was parsed once')
  const bad = signedGitHub('push', '{"ref": ', { secret: 'gh-shared' })
  const badRes = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: bad.headers, payload: bad.body })
  t.equal(badRes.statusCode, 400)
  t.equal(badRes.json().code, 'TAMER_MALFORMED_BODY')
  // Every candidate secret is tried before parsing: risk's own secret verifies, then is checked against the repository.
  const risk = P.githubPush({ repository: { ...P.githubPush().repository, full_name: 'risk-team/scorecard' } })
  t.equal(
    (
      await h.app.inject({
        method: 'POST',
        url: '/hooks/github',
        headers: signedGitHub('push', risk, { secret: 'gh-risk' }).headers,
        payload: JSON.stringify(risk),
      })
    ).statusCode,
    202,
  )
  t.equal(
    (
      await h.app.inject({
        method: 'POST',
        url: '/hooks/github',
        headers: signedGitHub('push', risk, { secret: 'gh-shared' }).headers,
        payload: JSON.stringify(risk),
      })
    ).statusCode,
    401,
  )
})

t.test(
  'over a real socket: /healthz and a signed delivery are answered while large unsigned bodies arrive',
  async (t) => {
    // Room for the four 20 MB bodies at once, all from this one address: the in-flight budget's 503 and
    // a source's share (test/http/in-flight.test.ts) are separate answers; here every unsigned body must
    // reach the signature check and be refused there.
    const h = await startTestApp(t, {
      config: testConfig({ server: { logLevel: 'info', maxInFlightBytes: 128 << 20, maxInFlightBytesPerSource: 0 } }),
    })
    await h.app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`
    const parses = countLargeParses(t, 100_000)
    const body = manyKeys(20 * 1024 * 1024)
    const unsigned = signedGitHub('push', body, { secret: 'forged' })

    let attacking = true
    const attacks = Promise.all(
      Array.from({ length: 4 }, async () => {
        const res = await fetch(`${base}/hooks/github`, {
          method: 'POST',
          headers: { ...unsigned.headers, 'x-github-delivery': crypto.randomUUID() },
          body,
        })
        return { status: res.status, body: (await res.json()) as { code: string } }
      }),
    ).finally(() => (attacking = false))
    const health: number[] = []
    const probes = (async () => {
      while (attacking) {
        health.push((await fetch(`${base}/healthz`)).status)
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    const good = signedGitHub('push', P.githubPush())
    const goodRes = await fetch(`${base}/hooks/github`, { method: 'POST', headers: good.headers, body: good.body })
    const results = await attacks
    await probes

    t.equal(goodRes.status, 202, 'the signed delivery is stored meanwhile')
    t.same(
      results.map((r) => [r.status, r.body.code]),
      Array(4).fill([401, 'TAMER_BAD_SIGNATURE']),
      'every unsigned body refused',
    )
    t.ok(
      health.length > 0 && health.every((s) => s === 200),
      `/healthz answered 200 throughout (${health.length} probes)`,
    )
    t.equal(parses.large, 0, 'no unsigned body was parsed')
    t.equal(await count(h), 1)
  },
)
