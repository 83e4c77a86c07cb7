// Known-answer vectors and constant-time checks of the signature helpers.
import { createHmac } from 'node:crypto'
import { verify as verifyGitHubSignature256 } from '@octokit/webhooks-methods'
import t from 'tap'
import { matchHubSignature, matchStandardWebhook } from '../../src/providers/signatures.js'
import { tokenMatches } from '../../src/security/compare.js'

const verifyHubSignature = (...args: Parameters<typeof matchHubSignature>) => matchHubSignature(...args).some(Boolean)

t.test('GitHub docs vector (validating-webhook-deliveries)', async (t) => {
  const body = Buffer.from('Hello, World!')
  const sig = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
  t.ok(await verifyGitHubSignature256("It's a Secret to Everybody", body.toString(), sig))
  t.ok(verifyHubSignature(body, sig, ["It's a Secret to Everybody"]))
  t.notOk(verifyHubSignature(body, sig, ["It's a secret to everybody"]))
  t.notOk(
    verifyHubSignature(body, sig.slice(0, -2), ["It's a Secret to Everybody"]),
    'a short signature is refused, not compared',
  )
  t.notOk(verifyHubSignature(body, sig.replace('sha256', 'md5'), ["It's a Secret to Everybody"]))
  t.notOk(verifyHubSignature(body, 'sha256', ["It's a Secret to Everybody"]))
  t.ok(
    verifyHubSignature(body, sig.toUpperCase().replace('SHA256', 'sha256'), ["It's a Secret to Everybody"]),
    'hex case does not matter',
  )
})

t.test('every algorithm Bitbucket Server may pick; any secret of a rotation', async (t) => {
  const body = Buffer.from('{"eventKey":"repo:refs_changed"}')
  for (const alg of ['sha1', 'sha256', 'sha384', 'sha512']) {
    const sig = `${alg}=${createHmac(alg, 'new').update(body).digest('hex')}`
    t.ok(verifyHubSignature(body, sig, ['old', 'new']), alg)
    t.notOk(verifyHubSignature(body, sig, ['old']), alg)
  }
})

t.test('GitLab token compare', async (t) => {
  t.ok(tokenMatches('abc', ['x', 'abc']))
  t.notOk(tokenMatches('abc', ['abcd']))
  t.notOk(tokenMatches('', ['abc']))
  t.notOk(tokenMatches('abc', []))
})

t.test('Standard Webhooks: several signatures in one header, timestamp window', async (t) => {
  const key = Buffer.from('a'.repeat(32))
  const token = `whsec_${key.toString('base64')}`
  const body = Buffer.from('{"object_kind":"push"}')
  const sign = (id: string, ts: string) =>
    createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64')
  const now = new Date(1_800_000_000_000)
  const ts = String(1_800_000_000)
  const good = `v1,${sign('msg_1', ts)}`
  t.same(matchStandardWebhook(body, { id: 'msg_1', timestamp: ts, signature: `v1,AAAA ${good}` }, [token], now, 300), {
    ok: true,
    matched: [true],
  })
  t.match(matchStandardWebhook(body, { id: 'msg_2', timestamp: ts, signature: good }, [token], now, 300), { ok: false })
  t.match(
    matchStandardWebhook(
      body,
      { id: 'msg_1', timestamp: String(1_800_000_000 - 301), signature: good },
      [token],
      now,
      300,
    ),
    { ok: false, reason: /window/ },
  )
  t.match(matchStandardWebhook(body, { id: 'msg_1', timestamp: 'soon', signature: good }, [token], now, 300), {
    ok: false,
    reason: /number/,
  })
  t.match(
    matchStandardWebhook(body, { id: 'msg_1', timestamp: ts, signature: `v2,${sign('msg_1', ts)}` }, [token], now, 300),
    { ok: false },
  )
})
