// Bad input: a clear 4xx, nothing stored, nothing logged from the payload, never a 5xx or a hang.
import { connect } from 'node:net'
import t from 'tap'
import { startTestApp, testConfig, type TestApp } from '../support/app.js'
import * as P from '../support/payloads.js'
import { hmacHex, signedBitbucketCloud, signedGitHub, signedGitLab } from '../support/sign.js'
import { SECRETS } from '../support/app.js'

async function count(h: TestApp) {
  return (await h.store.listDeliveries({ limit: 1000 })).length
}

function githubHeadersFor(body: Buffer | string, extra: Record<string, string> = {}) {
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': 'bad-input-1',
    'x-hub-signature-256': `sha256=${hmacHex('sha256', SECRETS.github, body)}`,
    ...extra,
  }
}

t.test('wrong or missing signature/token → 401, nothing stored, payload not logged', async (t) => {
  const h = await startTestApp(t)
  const marker = 'PAYLOAD-MARKER-7f3a'
  const payload = P.githubPush({ compare: marker })
  const cases: [string, Record<string, string>, Buffer][] = []
  const good = signedGitHub('push', payload)
  cases.push(['github wrong secret', signedGitHub('push', payload, { secret: 'nope' }).headers, good.body])
  const { ['x-hub-signature-256']: _, ...unsigned } = good.headers
  cases.push(['github missing signature', unsigned, good.body])
  cases.push([
    'github sha1 only',
    { ...unsigned, 'x-hub-signature': `sha1=${hmacHex('sha1', SECRETS.github, good.body)}` },
    good.body,
  ])
  cases.push(['github short signature', { ...good.headers, 'x-hub-signature-256': 'sha256=757107ea' }, good.body])
  cases.push([
    'github body changed after signing',
    good.headers,
    Buffer.from(good.body.toString().replace('ada', 'eve')),
  ])
  const gl = signedGitLab('Push Hook', P.gitlabPush({ marker }), { token: 'wrong-token' })
  cases.push(['gitlab wrong token', gl.headers, gl.body])
  const { ['x-gitlab-token']: __, ...noToken } = gl.headers
  cases.push(['gitlab missing token', noToken, gl.body])
  const bb = signedBitbucketCloud(
    'repo:push',
    { marker, ...P.bitbucketCloudPush([P.bbCloudChange({ name: 'main' })]) },
    { secret: 'wrong' },
  )
  cases.push(['bitbucket wrong secret', bb.headers, bb.body])
  cases.push(['bitbucket unknown algorithm', { ...bb.headers, 'x-hub-signature': 'md5=abcdef' }, bb.body])
  cases.push(['bitbucket not hex', { ...bb.headers, 'x-hub-signature': 'sha256=zz' }, bb.body])
  for (const [name, headers, body] of cases) {
    const route = name.split(' ')[0]!
    const res = await h.app.inject({ method: 'POST', url: `/hooks/${route}`, headers, payload: body })
    t.equal(res.statusCode, 401, name)
    t.equal(res.json().code, 'TAMER_BAD_SIGNATURE', name)
  }
  t.equal(await count(h), 0, 'nothing stored')
  t.notOk(
    h.logs.some((l) => l.includes(marker)),
    'payload never logged',
  )
})

t.test('malformed JSON (signed) → 400 naming the problem; unsigned → 401', async (t) => {
  const h = await startTestApp(t)
  const body = '{"ref": "refs/heads/main", "after": '
  const res = await h.app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: githubHeadersFor(body),
    payload: body,
  })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'TAMER_MALFORMED_BODY')
  t.match(res.json().message, /not valid JSON/)
  const forged = await h.app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: { ...githubHeadersFor(body), 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) },
    payload: body,
  })
  t.equal(forged.statusCode, 401, 'an unauthenticated sender learns nothing about the body')
  const empty = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: githubHeadersFor(''), payload: '' })
  t.equal(empty.statusCode, 400)
  const form = 'notpayload=1'
  const formRes = await h.app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: { ...githubHeadersFor(form), 'content-type': 'application/x-www-form-urlencoded' },
    payload: form,
  })
  t.equal(formRes.statusCode, 400)
  t.match(formRes.json().message, /payload/)
  t.equal(await count(h), 0)
})

t.test('valid JSON of the wrong shape → 400 naming what is missing', async (t) => {
  const h = await startTestApp(t)
  for (const body of [
    '[]',
    '"just a string"',
    '{"ref": 5}',
    'null',
    '{"ref":"refs/heads/x","before":"a","after":"b","repository":{}}',
  ]) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/hooks/github',
      headers: githubHeadersFor(body),
      payload: body,
    })
    t.equal(res.statusCode, 400, body)
    t.equal(res.json().code, 'TAMER_BAD_PAYLOAD', body)
  }
  t.equal(await count(h), 0)
})

t.test('missing required headers → 400 naming the header', async (t) => {
  const h = await startTestApp(t)
  const d = signedGitHub('push', P.githubPush())
  for (const name of ['x-github-event', 'x-github-delivery']) {
    const { [name]: _, ...headers } = d.headers
    const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers, payload: d.body })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'TAMER_MISSING_HEADER')
    t.match(res.json().message, new RegExp(name, 'i'))
  }
  const gl = signedGitLab('Push Hook', P.gitlabPush())
  const { ['x-gitlab-event']: _, ...glHeaders } = gl.headers
  t.match((await h.app.inject({ method: 'POST', url: '/hooks/gitlab', headers: glHeaders, payload: gl.body })).json(), {
    statusCode: 400,
    message: /X-Gitlab-Event/,
  })
  const bb = signedBitbucketCloud('repo:push', {})
  const { ['x-event-key']: __, ...bbHeaders } = bb.headers
  t.match(
    (await h.app.inject({ method: 'POST', url: '/hooks/bitbucket', headers: bbHeaders, payload: bb.body })).json(),
    { statusCode: 400, message: /X-Event-Key/ },
  )
  t.equal(await count(h), 0)
})

t.test('unsupported content type → 415', async (t) => {
  const h = await startTestApp(t)
  const d = signedGitHub('push', P.githubPush())
  for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/hooks/github',
      headers: { ...d.headers, 'content-type': type },
      payload: d.body,
    })
    t.equal(res.statusCode, 415, type)
    t.equal(res.json().code, 'TAMER_UNSUPPORTED_MEDIA_TYPE', type)
    t.ok(res.json().message.includes(type.split(';')[0]), `the message names ${type}`)
  }
  const gl = signedGitLab('Push Hook', 'payload=%7B%7D')
  const glRes = await h.app.inject({
    method: 'POST',
    url: '/hooks/gitlab',
    headers: { ...gl.headers, 'content-type': 'application/x-www-form-urlencoded' },
    payload: gl.body,
  })
  t.equal(glRes.statusCode, 415, 'only GitHub sends form bodies')
  t.equal(await count(h), 0)
})

t.test('over the size limit → 413', async (t) => {
  const config = testConfig({ server: { maxBodyBytes: 64 * 1024 } })
  const h = await startTestApp(t, { config })
  const big = P.githubPush({ padding: 'x'.repeat(70 * 1024) })
  const d = signedGitHub('push', big)
  const res = await h.app.inject({ method: 'POST', url: '/hooks/github', headers: d.headers, payload: d.body })
  t.equal(res.statusCode, 413)
  t.equal(res.json().code, 'TAMER_PAYLOAD_TOO_LARGE')
  t.equal(await count(h), 0)
})

t.test("the default limit is GitHub's 25 MB", async (t) => {
  const h = await startTestApp(t)
  const body = Buffer.alloc(25 * 1024 * 1024 + 1, 0x20)
  const res = await h.app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: githubHeadersFor(body),
    payload: body,
  })
  t.equal(res.statusCode, 413)
})

t.test('random bytes and deeply nested JSON: 4xx, never a crash', async (t) => {
  const h = await startTestApp(t)
  let seed = 42
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 0xff
  for (let i = 0; i < 50; i++) {
    const body = Buffer.from(Array.from({ length: 1 + ((i * 37) % 500) }, rand))
    for (const route of ['github', 'gitlab', 'bitbucket']) {
      const headers =
        route === 'github'
          ? githubHeadersFor(body)
          : route === 'gitlab'
            ? signedGitLab('Push Hook', body).headers
            : signedBitbucketCloud('repo:push', body).headers
      const res = await h.app.inject({ method: 'POST', url: `/hooks/${route}`, headers, payload: body })
      t.ok(res.statusCode >= 400 && res.statusCode < 500, `${route} random #${i}: ${res.statusCode}`)
    }
  }
  const deep = '['.repeat(200_000) + ']'.repeat(200_000)
  const res = await h.app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: githubHeadersFor(deep),
    payload: deep,
  })
  t.equal(res.statusCode, 400, 'deep arrays are not a push')
  const deepObj = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)
  const res2 = await h.app.inject({
    method: 'POST',
    url: '/hooks/github',
    headers: githubHeadersFor(deepObj),
    payload: deepObj,
  })
  t.equal(res2.statusCode, 400)
  t.equal(await count(h), 0)
})

/** Raw HTTP over a socket, for what inject cannot do (oversized headers, truncated bodies). */
function rawRequest(port: number, text: string, endAfterWrite: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    socket.setTimeout(5000, () => {
      socket.destroy()
      resolve(data || 'TIMEOUT')
    })
    socket.on('data', (c) => (data += c.toString()))
    socket.on('end', () => resolve(data))
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
    socket.write(text)
    if (endAfterWrite) socket.end()
  })
}

t.test('huge headers and truncated bodies over a real socket', async (t) => {
  const h = await startTestApp(t)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (h.app.server.address() as { port: number }).port
  // Over Node's 16 KiB header limit, yet small enough that the server has read it all when it answers:
  // with 100 KB still unread, Node 24 closes with a TCP reset that makes the client lose the 431 itself.
  const huge = await rawRequest(
    port,
    `POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Junk: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`,
    false,
  )
  t.match(huge, /^HTTP\/1\.1 431/, 'header overflow answered 431')
  const body = JSON.stringify(P.githubPush())
  const headers = Object.entries(githubHeadersFor(body))
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')
  const truncated = await rawRequest(
    port,
    `POST /hooks/github HTTP/1.1\r\nHost: x\r\n${headers}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 100)}`,
    true,
  )
  t.notMatch(truncated, /^HTTP\/1\.1 [25]/, 'a truncated body is never accepted nor a 5xx')
  t.equal(await count(h), 0)
  // The server is still serving.
  const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
  t.equal(ok.status, 200)
})
