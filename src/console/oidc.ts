// Console sign-in with OpenID Connect (issue #14), with openid-client: the authorization code flow with
// PKCE (S256), state and nonce. /ui/oidc/start keeps the flow's values in a signed cookie and sends the
// browser to the provider; /ui/oidc/callback checks the state against that cookie (and that it was not
// used before), trades the code for tokens (openid-client checks the ID token's signature, issuer,
// audience and nonce), maps the claims to tenants and a scope (oidc-config.ts grantFor) and makes the
// same session cookie as a token sign-in. The provider is discovered at the first sign-in, not at start.
import { createHmac } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type * as OidcClient from 'openid-client'
import { OidcNoGrantError, OidcSignInError, OidcUnavailableError } from '../errors.js'
import { equalConstantTime } from '../security/compare.js'
import { html } from './html.js'
import { page } from './layout.js'
import { grantFor, isLoopback, type OidcConfig } from './oidc-config.js'
import { cookieValue } from '../http/cookies.js'
import { newSession, type Session } from './session.js'

export const FLOW_COOKIE = 'tamer_oidc'
const FLOW_MINUTES = 10

export interface OidcOptions {
  config: OidcConfig
  redirectUrl: string
  /** The session cookie's HMAC key: the flow cookie is signed with it too (another label). */
  key: string | Buffer
  sessionHours: number
  secure(request: FastifyRequest): boolean
  /** Sets the session cookie and answers (plugin.ts). */
  signIn(reply: FastifyReply, session: Session, next: string): FastifyReply
  safeNext(next: unknown): string
  now(): number
}

interface Flow {
  state: string
  nonce: string
  verifier: string
  next: string
  expires: number
}

/**
 * The flow cookie is SameSite=Lax, not Strict like the session's: the provider sends the browser back
 * with a top-level cross-site GET, and a Strict cookie is not sent on any cross-site request, so the
 * callback could never find its state; Lax cookies are sent on top-level GET navigations
 * (RFC 6265bis, section 8.8.2: https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-8.8.2).
 * It holds nothing that signs anyone in by itself (the code is single use and bound to the verifier),
 * lives ten minutes, is scoped to /ui/oidc and is cleared by the callback.
 */
function flowCookie(value: string, o: { secure: boolean; maxAgeSeconds: number }): string {
  return `${FLOW_COOKIE}=${value}; Path=/ui/oidc; HttpOnly; SameSite=Lax; Max-Age=${o.maxAgeSeconds}${o.secure ? '; Secure' : ''}`
}

function flowCodec(key: string | Buffer) {
  const mac = (body: string) => createHmac('sha256', key).update(`tamer-oidc-flow\n${body}`).digest()
  return {
    encode: (f: Flow) => {
      const body = Buffer.from(JSON.stringify(f)).toString('base64url')
      return `${body}.${mac(body).toString('base64url')}`
    },
    decode(value: string | undefined, now: number): Flow | null {
      const [body, sig, extra] = (value ?? '').split('.')
      if (!body || !sig || extra !== undefined || value!.length > 2048) return null
      if (!equalConstantTime(Buffer.from(sig, 'base64url'), mac(body))) return null
      try {
        const f = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Flow
        return typeof f.expires === 'number' && f.expires > now ? f : null
      } catch {
        return null
      }
    },
  }
}

export interface OidcRoutes {
  /** The provider's end-session endpoint (RP-initiated logout), once discovered; null without one. */
  endSessionUrl(): string | null
}

export function registerOidc(app: FastifyInstance, opts: OidcOptions): OidcRoutes {
  const { config: c } = opts
  const codec = flowCodec(opts.key)
  const issuer = new URL(c.issuer)
  // Loaded at the first sign-in, not by every process that composes the service (as nodemailer is).
  let oidc: typeof OidcClient
  let discovered: Promise<OidcClient.Configuration> | null = null
  let endSession: string | null = null
  /** The provider's metadata, read once; a failed discovery is tried again at the next sign-in. */
  const provider = () =>
    (discovered ??= import('openid-client')
      .then((lib) => {
        oidc = lib
        const auth = c.clientSecret ? oidc.ClientSecretPost(c.clientSecret) : oidc.None()
        return oidc.discovery(issuer, c.clientId, undefined, auth, {
          // Plain http only for a provider on this machine (checked in oidc-config.ts); 10 s like a page load.
          execute: isLoopback(issuer) && issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
          timeout: 10,
        })
      })
      .then((cfg) => {
        endSession = cfg.serverMetadata().end_session_endpoint ?? null
        return cfg
      })
      .catch((err: unknown) => {
        discovered = null
        throw new OidcUnavailableError(err instanceof Error ? err.message : String(err))
      }))
  /** States already used, until their flow would have expired: a replayed callback is refused here. */
  const used = new Map<string, number>()
  const forget = (now: number) => {
    for (const [s, exp] of used) if (exp <= now) used.delete(s)
  }

  app.get<{ Querystring: { next?: string } }>('/ui/oidc/start', { schema: { hide: true } }, async (request, reply) => {
    const cfg = await provider()
    const flow: Flow = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      next: opts.safeNext(request.query.next),
      expires: opts.now() + FLOW_MINUTES * 60_000,
    }
    const url = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: opts.redirectUrl,
      scope: c.scopes,
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
    })
    reply.header(
      'set-cookie',
      flowCookie(codec.encode(flow), { secure: opts.secure(request), maxAgeSeconds: FLOW_MINUTES * 60 }),
    )
    return reply.redirect(url.href, 303)
  })

  app.get<{ Querystring: Record<string, string> }>(
    '/ui/oidc/callback',
    { schema: { hide: true } },
    async (request, reply) => {
      const now = opts.now()
      forget(now)
      // Whatever happens next, the flow is over: its cookie goes.
      reply.header('set-cookie', flowCookie('', { secure: opts.secure(request), maxAgeSeconds: 0 }))
      const q = request.query
      if (q.error)
        throw new OidcSignInError(
          `the provider answered ${q.error}${q.error_description ? `: ${q.error_description}` : ''}`,
        )
      const flow = codec.decode(cookieValue(request.headers.cookie, FLOW_COOKIE), now)
      if (!flow) throw new OidcSignInError('no sign-in was started in this browser, or it took over 10 minutes')
      if (typeof q.state !== 'string' || !equalConstantTime(Buffer.from(q.state), Buffer.from(flow.state)))
        throw new OidcSignInError('the state does not match the sign-in this browser started')
      if (used.has(flow.state)) throw new OidcSignInError('this sign-in was already completed')
      used.set(flow.state, flow.expires)
      const cfg = await provider()
      // The URL the provider redirected to: the configured one (not this request's Host) with its answer.
      const current = new URL(opts.redirectUrl)
      current.search = new URLSearchParams(q).toString()
      let claims: Record<string, unknown>
      try {
        const tokens = await oidc.authorizationCodeGrant(cfg, current, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        })
        claims = { ...tokens.claims()! }
      } catch (err) {
        request.log.info({ err }, 'OIDC code exchange refused')
        throw new OidcSignInError(err instanceof Error ? err.message : 'the code was not accepted')
      }
      const who = String(claims.email ?? claims.preferred_username ?? claims.sub)
      const granted = grantFor(claims, c.grants)
      if (!granted) {
        request.log.info({ sub: claims.sub }, 'OIDC sign-in matched no grant')
        throw new OidcNoGrantError(who)
      }
      const actor = `oidc:${who}`
      request.log.info({ actor, grant: granted.grant, access: granted.access }, 'console sign-in with OIDC')
      // newSession keeps a hash of what the session was made from: here the provider's subject.
      const session = newSession(
        { actor, ...granted },
        `oidc\n${c.issuer}\n${String(claims.sub)}`,
        now,
        opts.sessionHours,
      )
      return opts.signIn(reply, session, flow.next)
    },
  )

  return { endSessionUrl: () => endSession }
}

/**
 * The page the callback answers with: the session cookie is SameSite=Strict, and a redirect answering a
 * cross-site navigation stays cross-site for the browser (the site for cookies is computed over the whole
 * redirect chain: RFC 6265bis, section 5.2.1, https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-5.2.1),
 * so a 303 to the console would arrive without the new cookie. A page that moves on by itself (a meta
 * refresh, allowed by the console's CSP) starts a same-site navigation, which carries it.
 */
export function signedInPage(next: string) {
  return page(
    { title: 'Signed in', refresh: `0;url=${next}` },
    html`<h1>Signed in</h1>
      <p><a href="${next}">Continue to the console</a></p>`,
  )
}
