// Security headers (issue #9, hardening) on every class of answer through the real app: a stored
// delivery, a refused one, the API, the diff page (which keeps its own, stricter-for-a-page CSP),
// health, 404, 401, 413/415 and 429.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { MirrorCache } from '../../src/git/mirror.js'
import type { GitHost } from '../../src/git/remote.js'
import { API_CSP_DIRECTIVES } from '../../src/http/security-headers.js'
import { DIFF_PAGE_CSP } from '../../src/notebooks/render/index.js'
import { openSqliteStore } from '../../src/store/sqlite/index.js'
import { gitAvailable } from '../git/repo.js'
import { composeForTest, SECRETS, testConfig } from '../support/app.js'
import { githubPush } from '../support/payloads.js'
import { fileHosts, notebookPush, pushEvent, recordPush } from '../support/push-diffs.js'
import { signedGitHub } from '../support/sign.js'

const API_CSP = "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'"

function hasHardening(t: Test, what: string, headers: Record<string, unknown>, csp = API_CSP) {
  t.equal(headers['content-security-policy'], csp, `${what}: CSP`)
  t.equal(headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
  t.equal(headers['x-frame-options'], 'DENY', `${what}: no framing`)
  t.match(headers['strict-transport-security'], /^max-age=\d{7,}; includeSubDomains$/, `${what}: HSTS`)
  t.equal(headers['referrer-policy'], 'no-referrer', `${what}: no referrer`)
  t.equal(headers['cross-origin-opener-policy'], 'same-origin', `${what}: COOP`)
  t.equal(headers['cross-origin-resource-policy'], 'same-origin', `${what}: CORP`)
  t.equal(headers['x-permitted-cross-domain-policies'], 'none', `${what}: no cross-domain policies`)
  t.equal(headers['x-dns-prefetch-control'], 'off', `${what}: no DNS prefetch`)
  t.notOk('x-powered-by' in headers, `${what}: no x-powered-by`)
}

t.test('API CSP is the one the test expects', async (t) => {
  t.same(Object.keys(API_CSP_DIRECTIVES), ['defaultSrc', 'baseUri', 'formAction', 'frameAncestors'])
})

t.test('every route class carries the headers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-headers-'))
  const store = openSqliteStore({ file: join(dir, 'tamer.db') })
  const config = testConfig({ server: { logLevel: 'info', maxBodyBytes: 4096, rateLimit: { hooksPerSource: 6 } } })
  // The test repo made below is added to git.hosts then (the cache reads its hosts on each fetch).
  const hosts: GitHost[] = []
  const { app } = await composeForTest(config, {
    store,
    mirrors: new MirrorCache({ dir: join(dir, 'mirrors'), allowProtocols: ['file'], hosts }),
  })
  t.teardown(async () => {
    await app.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const auth = { authorization: `Bearer ${SECRETS.api}` }

  const push = signedGitHub('push', githubPush())
  const stored = await app.inject({ method: 'POST', url: '/hooks/github', headers: push.headers, payload: push.body })
  t.equal(stored.statusCode, 202)
  hasHardening(t, 'hooks 202', stored.headers)
  const forged = signedGitHub('push', githubPush(), { secret: 'forged' })
  const refused = await app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: forged.headers,
    payload: forged.body,
  })
  t.equal(refused.statusCode, 401)
  hasHardening(t, 'hooks 401', refused.headers)
  const big = await app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: { ...push.headers },
    payload: Buffer.alloc(8192, 0x20),
  })
  t.equal(big.statusCode, 413)
  hasHardening(t, 'hooks 413', big.headers)
  const xml = await app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: { ...push.headers, 'content-type': 'text/xml' },
    payload: '<x/>',
  })
  t.equal(xml.statusCode, 415)
  hasHardening(t, 'hooks 415', xml.headers)

  const list = await app.inject({ method: 'GET', url: '/api/deliveries', headers: auth })
  t.equal(list.statusCode, 200)
  hasHardening(t, 'api 200', list.headers)
  const one = await app.inject({ method: 'GET', url: `/api/deliveries/${stored.json().id}`, headers: auth })
  t.equal(one.statusCode, 200)
  hasHardening(t, 'api 200 one', one.headers)
  const noToken = await app.inject({ method: 'GET', url: '/api/deliveries' })
  t.equal(noToken.statusCode, 401)
  hasHardening(t, 'api 401', noToken.headers)
  const missing = await app.inject({ method: 'GET', url: '/api/deliveries/nope', headers: auth })
  t.equal(missing.statusCode, 404)
  hasHardening(t, 'api 404', missing.headers)
  const badQuery = await app.inject({ method: 'GET', url: '/api/deliveries?limit=-1', headers: auth })
  t.equal(badQuery.statusCode, 400)
  hasHardening(t, 'api 400', badQuery.headers)
  const callback = await app.inject({ method: 'POST', url: '/api/jenkins/callback', payload: {} })
  hasHardening(t, `callback ${callback.statusCode}`, callback.headers)

  for (const url of ['/healthz', '/readyz']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200)
    hasHardening(t, url, res.headers)
  }
  const notFound = await app.inject({ method: 'GET', url: '/no/such/page' })
  t.equal(notFound.statusCode, 404)
  hasHardening(t, '404', notFound.headers)
  const pageNoToken = await app.inject({ method: 'GET', url: '/diffs/some-id' })
  t.equal(pageNoToken.statusCode, 401)
  hasHardening(t, 'diff page 401', pageNoToken.headers)

  let limited
  for (let i = 0; i < 10 && limited?.statusCode !== 429; i++)
    limited = await app.inject({ method: 'POST', url: '/hooks/github', headers: forged.headers, payload: forged.body })
  t.equal(limited?.statusCode, 429)
  hasHardening(t, '429', limited!.headers)

  if (!(await gitAvailable())) {
    if (process.env.CI) t.fail('git is required in CI')
    return
  }
  // The diff page keeps its own CSP: one header, the page's, not the API's.
  const p = await notebookPush(t)
  hosts.push(...fileHosts(p.repo))
  const id = await recordPush(store, pushEvent({ before: p.before, after: p.after, cloneUrl: p.repo.url }))
  const page = await app.inject({ method: 'GET', url: `/diffs/${id}`, headers: auth })
  t.equal(page.statusCode, 200, page.body.slice(0, 200))
  hasHardening(t, 'diff page', page.headers, DIFF_PAGE_CSP)
  // Over a real socket: two CSP headers would come back joined with ", ".
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const real = await fetch(`${base}/diffs/${id}`, { headers: auth })
  t.equal(real.status, 200)
  t.equal(real.headers.get('content-security-policy'), DIFF_PAGE_CSP, 'exactly one CSP on the page: its own')
  await real.arrayBuffer()
  const json = await app.inject({ method: 'GET', url: `/api/diffs/${id}`, headers: auth })
  t.equal(json.statusCode, 200)
  hasHardening(t, 'api diffs', json.headers)
})
