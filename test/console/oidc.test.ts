// Console sign-in with OIDC (issue #14) against a real provider: `oidc-provider` on a free port, Tamer on
// another (real sockets both), driven with fetch, manual redirects and a cookie jar as a browser would.
// The provider's interaction (login and consent) is answered for the user the test names
// (test/support/oidc-provider.ts). A user a
// grant maps gets a session with that grant's tenants and scope; one mapped by nothing gets 403; a tampered
// state and a replayed callback are refused without a session; sign-out ends the session.
import t from 'tap'
import { grantFor } from '../../src/console/oidc-config.js'
import { secretValues } from '../../src/security/secrets.js'
import { startTestApp, testConfig } from '../support/app.js'
import { freePort } from '../support/free-port.js'
import { startOidcProvider } from '../support/oidc-provider.js'

const CLIENT_SECRET = 'oidc-client-secret-3f9a1c7e5b2d'
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  ada: { email: 'ada@example.com', email_verified: true, groups: ['data-science', 'staff'] },
  bob: { email: 'bob@acme.test', email_verified: true, groups: [] },
  eve: { email: 'eve@example.com', email_verified: true, groups: ['marketing'] },
  // Says an acme.test address, unverified: the email grant must not take it.
  mal: { email: 'mal@acme.test', email_verified: false, groups: [] },
}
const GRANTS = [
  { claim: 'groups', value: 'data-science', tenants: ['risk'], scope: 'operate' as const },
  { claim: 'email', value: '*@acme.test', scope: 'read' as const },
]

/** Cookies per origin (host:port), as `name=value` pairs; a cleared one (Max-Age=0, past Expires) goes. */
class Jar {
  private readonly byOrigin = new Map<string, Map<string, string>>()
  take(url: string, res: Response): void {
    const jar = this.byOrigin.get(new URL(url).host) ?? new Map<string, string>()
    this.byOrigin.set(new URL(url).host, jar)
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const [name, value] = [pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim()]
      const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a))
      if (gone || !value) jar.delete(name)
      else jar.set(name, value)
    }
  }
  header(url: string): string {
    return [...(this.byOrigin.get(new URL(url).host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ')
  }
  get(url: string, name: string): string | undefined {
    return this.byOrigin.get(new URL(url).host)?.get(name)
  }
}

async function get(jar: Jar, url: string, cookie = jar.header(url)) {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  jar.take(url, res)
  return res
}

/** The session cookie's recorded fields (its first part is base64url JSON; the signature is the second). */
const sessionFields = (value: string) =>
  JSON.parse(Buffer.from(value.split('.')[0]!, 'base64url').toString('utf8')) as {
    a: string
    t: string[] | null
    s: string
    c: string
  }

t.test('grantFor: the first matching grant decides; unverified emails and other values match nothing', async (t) => {
  t.same(grantFor({ groups: ['x', 'data-science'] }, GRANTS), { tenants: ['risk'], access: 'operate', grant: 0 })
  t.same(grantFor({ email: 'Bob@ACME.test', groups: ['data-science'] }, GRANTS)?.grant, 0)
  t.same(grantFor({ email: 'Bob@ACME.test' }, GRANTS), { tenants: undefined, access: 'read', grant: 1 })
  t.equal(grantFor({ email: 'bob@acme.test', email_verified: false }, GRANTS), null)
  t.equal(grantFor({ email: 'bob@acme.test.evil.example' }, GRANTS), null)
  t.equal(grantFor({ groups: 'data-science-not' }, GRANTS), null)
  t.equal(grantFor({}, GRANTS), null)
})

t.test('console.oidc is checked at load, and its client secret is a masked secret', async (t) => {
  const oidc = (o: Record<string, unknown>) => ({
    tenants: [{ name: 'risk', repositories: ['risk-team/*'] }],
    console: {
      oidc: {
        issuer: 'https://login.example.com',
        clientId: 'tamer',
        redirectUrl: 'https://tamer.example.com/ui/oidc/callback',
        grants: GRANTS,
        ...o,
      },
    },
  })
  t.ok(testConfig(oidc({})))
  t.throws(() => testConfig(oidc({ issuer: 'http://login.example.com' })), /console\.oidc\.issuer/)
  t.ok(testConfig(oidc({ issuer: 'http://127.0.0.1:9/' })), 'plain http on this machine')
  t.throws(() => testConfig(oidc({ clientId: '' })), /console\.oidc\.clientId/)
  t.throws(() => testConfig(oidc({ redirectUrl: '' })), /console\.oidc\.redirectUrl: is required/)
  t.throws(() => testConfig(oidc({ redirectUrl: 'https://x.example/elsewhere' })), /console\.oidc\.redirectUrl/)
  t.throws(() => testConfig(oidc({ grants: [] })), /console\.oidc\.grants/)
  t.throws(() => testConfig(oidc({ grants: [{ ...GRANTS[0], tenants: ['nope'] }] })), /grants\.0\.tenants: nope/)
  t.throws(() => testConfig(oidc({ scopes: 'email' })), /console\.oidc\.scopes/)
  t.ok(secretValues(testConfig(oidc({ clientSecret: CLIENT_SECRET }))).includes(CLIENT_SECRET))
})

t.test('sign-in at a real OIDC provider: mapped, unmapped, tampered, replayed, signed out', async (t) => {
  const [providerPort, tamerPort] = [await freePort(), await freePort()]
  const issuer = `http://127.0.0.1:${providerPort}`
  const tamer = `http://127.0.0.1:${tamerPort}`
  const redirectUrl = `${tamer}/ui/oidc/callback`

  const provider = await startOidcProvider({
    port: providerPort,
    client: { id: 'tamer', secret: CLIENT_SECRET, redirectUri: redirectUrl },
    accounts: ACCOUNTS,
  })
  t.teardown(provider.close)

  const h = await startTestApp(t, {
    config: testConfig({
      tenants: [{ name: 'risk', repositories: ['risk-team/*'] }],
      console: {
        oidc: {
          issuer,
          clientId: 'tamer',
          clientSecret: CLIENT_SECRET,
          redirectUrl,
          scopes: 'openid email groups',
          grants: GRANTS,
        },
      },
    }),
  })
  await h.app.listen({ host: '127.0.0.1', port: tamerPort })

  /** From Tamer's sign-in link through the provider, up to (not into) the redirect back to Tamer. */
  async function toCallback(jar: Jar, who: string) {
    provider.setUser(who)
    const start = await get(jar, `${tamer}/ui/oidc/start?next=${encodeURIComponent('/ui/builds')}`)
    t.equal(start.status, 303)
    let url = start.headers.get('location')!
    const auth = new URL(url)
    for (;;) {
      if (url.startsWith(redirectUrl)) return { url, auth, flowSetCookie: start.headers.getSetCookie().join('\n') }
      const res = await get(jar, url)
      if (res.status < 300 || res.status >= 400) throw new Error(`${url}: ${res.status} ${await res.text()}`)
      url = new URL(res.headers.get('location')!, url).href
    }
  }

  await t.test('the login page links to the provider; a mapped user gets the grant’s tenants and scope', async (t) => {
    const login = await (await fetch(`${tamer}/ui/login`)).text()
    t.match(login, 'href="/ui/oidc/start?next=%2Fui%2Fdeliveries"')
    const jar = new Jar()
    const { url, auth, flowSetCookie } = await toCallback(jar, 'ada')
    // Code flow with PKCE (S256), a state and a nonce, to the configured redirect URL and scopes.
    t.equal(auth.origin, issuer)
    t.equal(auth.searchParams.get('response_type'), 'code')
    t.equal(auth.searchParams.get('code_challenge_method'), 'S256')
    t.match(auth.searchParams.get('code_challenge'), /^[\w-]{43}$/)
    t.match(auth.searchParams.get('state'), /^[\w-]{20,}$/)
    t.match(auth.searchParams.get('nonce'), /^[\w-]{20,}$/)
    t.equal(auth.searchParams.get('redirect_uri'), redirectUrl)
    t.equal(auth.searchParams.get('scope'), 'openid email groups')
    t.notMatch(auth.href, CLIENT_SECRET)
    // The flow's cookie must come back on the provider's cross-site redirect: Lax, not Strict.
    t.match(flowSetCookie, /tamer_oidc=[^;]+; Path=\/ui\/oidc; HttpOnly; SameSite=Lax; Max-Age=600/)

    const cb = await get(jar, url)
    t.equal(cb.status, 200, 'a page that moves on (not a redirect: the Strict session cookie)')
    const body = await cb.text()
    t.match(body, '<meta http-equiv="refresh" content="0;url=/ui/builds" />')
    t.match(cb.headers.getSetCookie().join('\n'), /tamer_session=[^;]+; Path=\/ui; HttpOnly; SameSite=Strict/)
    t.equal(jar.get(tamer, 'tamer_oidc'), undefined, 'the flow cookie is cleared')
    const session = sessionFields(jar.get(tamer, 'tamer_session')!)
    t.same(
      { actor: session.a, tenants: session.t, scope: session.s },
      {
        actor: 'oidc:ada@example.com',
        tenants: ['risk'],
        scope: 'operate',
      },
    )
    const deliveries = await get(jar, `${tamer}/ui/deliveries`)
    t.equal(deliveries.status, 200)
    const page = await deliveries.text()
    t.match(page, 'oidc:ada@example.com')
    t.match(page, '<option>risk</option>')
    t.notMatch(page, '<option>default</option>', 'only the granted tenant')

    await t.test('the callback replayed (with its flow cookie) is refused, no session', async (t) => {
      const replay = await fetch(url, { redirect: 'manual', headers: { cookie: flowSetCookie.split(';')[0]! } })
      t.equal(replay.status, 403)
      t.match(await replay.text(), /this sign-in was already completed.*TAMER_OIDC_SIGN_IN/s)
      t.notMatch(replay.headers.getSetCookie().join('\n'), /tamer_session=[^;]/)
    })

    await t.test('sign-out ends the session and offers the provider’s end-session page', async (t) => {
      const res = await fetch(`${tamer}/ui/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(tamer), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: session.c }),
      })
      jar.take(tamer, res)
      t.equal(res.status, 200)
      t.match(await res.text(), `href="${issuer}/session/end?client_id=tamer"`)
      t.equal(jar.get(tamer, 'tamer_session'), undefined)
      t.equal((await get(jar, `${tamer}/ui/deliveries`)).status, 303, 'back to the sign-in page')
    })
  })

  await t.test('a user mapped by the email grant reads every tenant', async (t) => {
    const jar = new Jar()
    const { url } = await toCallback(jar, 'bob')
    t.equal((await get(jar, url)).status, 200)
    const s = sessionFields(jar.get(tamer, 'tamer_session')!)
    t.same([s.a, s.t, s.s], ['oidc:bob@acme.test', null, 'read'])
  })

  for (const who of ['eve', 'mal'])
    await t.test(`${who}, matched by no grant, is refused with a page (403)`, async (t) => {
      const jar = new Jar()
      const { url } = await toCallback(jar, who)
      const res = await get(jar, url)
      t.equal(res.status, 403)
      const body = await res.text()
      t.match(body, 'TAMER_OIDC_NO_GRANT')
      t.match(body, `${who}@`)
      t.match(body, 'href="/ui/login"')
      t.equal(jar.get(tamer, 'tamer_session'), undefined)
    })

  await t.test('a tampered state is refused before the code is used, no session', async (t) => {
    const jar = new Jar()
    const { url } = await toCallback(jar, 'ada')
    const forged = new URL(url)
    forged.searchParams.set('state', `${forged.searchParams.get('state')}x`)
    const res = await get(jar, forged.href)
    t.equal(res.status, 403)
    t.match(await res.text(), 'the state does not match')
    t.equal(jar.get(tamer, 'tamer_session'), undefined)
    // Nor does a callback arrive in a browser that started no sign-in (no flow cookie).
    const other = await fetch(url, { redirect: 'manual' })
    t.equal(other.status, 403)
    t.match(await other.text(), 'no sign-in was started')
  })

  t.notMatch(h.logs.join('\n'), CLIENT_SECRET, 'the client secret is in no log line')
})
