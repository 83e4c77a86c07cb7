// The web console at /ui/ (issue #14): server-rendered pages over the same store reads as the API, behind
// a session made from an API token (session.ts), with the same tenant scoping (a scoped token's session
// sees only its tenants; another tenant's record is a 404) and the same scopes (forms that change state
// need operate). Every form carries the session's CSRF token; a post without it is 403 before anything
// runs. Pages send CONSOLE_CSP: Tamer's own script and style sheet only, nothing inline.
import { randomBytes } from 'node:crypto'
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ApiTokenConfig } from '../config/schema.js'
import {
  CsrfError,
  InternalError,
  OidcNoGrantError,
  OidcSignInError,
  OidcUnavailableError,
  UnauthorizedError,
} from '../errors.js'
import { configTokenScopes, storedTokenScope, type ApiAuth } from '../http/auth.js'
import type { ServiceStore } from '../store/service-store.js'
import { ASSETS } from './assets.js'
import { CONSOLE_CSP, html } from './html.js'
import { page } from './layout.js'
import { loginPage } from './pages/login.js'
import type { OidcConfig } from './oidc-config.js'
import { registerOidc, signedInPage, type OidcRoutes } from './oidc.js'
import { registerPages, type PageDeps } from './routes.js'
import { cookieValue } from '../http/cookies.js'
import {
  csrfMatches,
  newSession,
  SESSION_COOKIE,
  sessionCodec,
  sessionCookie,
  tokenHash,
  type Session,
} from './session.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session of this request (set by the console's preHandler). */
    consoleSession?: Session
  }
}

export interface ConsolePluginOptions extends Omit<PageDeps, 'store'> {
  store: ServiceStore
  auth: ApiAuth
  /** The config's tokens: a session made from one lives while the config names it. */
  configTokens: readonly ApiTokenConfig[]
  /** console.sessionSecret; empty: a random key for this process. */
  sessionSecret: string
  sessionHours: number
  /** Tamer is served over https (jenkins.publicUrl): session cookies are Secure. */
  https: boolean
  /** console.oidc when its issuer is set, and the callback URL (oidc-config.ts redirectUrlOf); null: off. */
  oidc?: { config: OidcConfig; redirectUrl: string } | null
}

const PUBLIC = new Set(['/ui/login', '/ui/oidc/start', '/ui/oidc/callback'])

/** Only paths inside the console are followed after sign-in (no open redirect). */
const safeNext = (next: unknown) =>
  typeof next === 'string' && next.startsWith('/ui/') && !next.startsWith('/ui//') && !/[\\\r\n]/.test(next)
    ? next
    : '/ui/deliveries'

export const consolePlugin: FastifyPluginAsync<ConsolePluginOptions> = async (app, opts) => {
  const key = opts.sessionSecret || randomBytes(32)
  const codec = sessionCodec(key)
  // A notice, not a warning: nothing is at risk, a restart only asks console users to sign in again.
  if (!opts.sessionSecret)
    app.log.info('console.sessionSecret is not set: console sessions end when Tamer restarts (TAMER_SESSION_SECRET)')
  const configScopes = new Map(configTokenScopes(opts.configTokens).map((e) => [tokenHash(e.token), e.scope]))
  const now = () => opts.now().getTime()

  /**
   * The session when its cookie is valid and its token still live (a revoked token ends it). What it may
   * see and do is the live token's, not what the cookie recorded at sign-in: a token narrowed in the
   * config (tenants, scope) narrows its open sessions at once, as it does its API requests.
   */
  async function sessionOf(request: FastifyRequest): Promise<Session | null> {
    const s = codec.decode(cookieValue(request.headers.cookie, SESSION_COOKIE), now())
    if (!s) return null
    // An OIDC session holds the scope its grant gave at sign-in, for sessionHours; it ends when OIDC is off.
    if (s.actor.startsWith('oidc:')) return opts.oidc ? s : null
    const configured = configScopes.get(s.tokenHash)
    if (configured) return { ...s, ...configured }
    const record = s.actor.startsWith('token:') ? await opts.store.findApiToken(s.tokenHash) : null
    return record ? { ...s, ...storedTokenScope(record) } : null
  }

  // Forms post application/x-www-form-urlencoded; in this scope only (the hooks keep their raw bodies).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )

  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.url.startsWith('/ui/diffs/')) reply.header('content-security-policy', CONSOLE_CSP)
    if (!request.url.startsWith('/ui/static/')) reply.header('cache-control', 'no-store').header('vary', 'Cookie')
    return payload
  })

  app.addHook('preHandler', async (request, reply) => {
    const path = request.url.split('?')[0]!
    if (PUBLIC.has(path) || path.startsWith('/ui/static/')) return
    const session = await sessionOf(request)
    if (!session) {
      if (request.method === 'GET' && !path.endsWith('/events'))
        return reply.redirect(`/ui/login?next=${encodeURIComponent(request.url)}`, 303)
      throw new UnauthorizedError()
    }
    request.consoleSession = session
    // Before any handler: a forged post changes nothing.
    if (request.method === 'POST') {
      const body = (request.body ?? {}) as Record<string, unknown>
      if (!csrfMatches(session, body._csrf)) throw new CsrfError('the form token is missing or wrong')
    }
  })

  // Errors as pages: a coded refusal shows its message and code; anything else is 500, its details logged.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const coded = error.code?.startsWith('TAMER_') && error.statusCode !== undefined && error.statusCode < 600
    const status = coded ? error.statusCode! : error.statusCode === 400 ? 400 : 500
    if (status >= 500) request.log.error({ err: error }, 'console request failed')
    else request.log.info({ code: error.code, statusCode: status }, error.message)
    const shown = status >= 500 ? new InternalError() : error
    return sendPage(reply.code(status), errorPage(status, shown, request.consoleSession ?? null, request.url))
  })

  const head = { hide: true }
  app.get<{ Params: { name: string } }>('/ui/static/:name', { schema: head }, async (request, reply) => {
    const asset = ASSETS[request.params.name as keyof typeof ASSETS]
    if (!asset) return reply.callNotFound()
    reply.header('etag', asset.etag).header('cache-control', 'public, max-age=3600')
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
    return reply.type(asset.type).send(asset.body)
  })

  app.get('/ui', { schema: head }, async (_request, reply) => reply.redirect('/ui/deliveries', 303))
  app.get('/ui/', { schema: head }, async (_request, reply) => reply.redirect('/ui/deliveries', 303))

  const secure = (request: FastifyRequest) => opts.https || request.protocol === 'https'
  const signIn = (reply: FastifyReply, session: Session, request: FastifyRequest) =>
    reply.header(
      'set-cookie',
      sessionCookie(codec.encode(session), { secure: secure(request), maxAgeSeconds: opts.sessionHours * 3600 }),
    )
  const oidcLabel = opts.oidc?.config.label
  let oidc: OidcRoutes | null = null
  if (opts.oidc)
    oidc = registerOidc(app, {
      ...opts.oidc,
      key,
      sessionHours: opts.sessionHours,
      secure,
      safeNext,
      now,
      // A page, not a redirect: see signedInPage.
      signIn: (reply, session, next) => sendPage(signIn(reply, session, reply.request), signedInPage(next)),
    })

  app.get<{ Querystring: { next?: string } }>('/ui/login', { schema: head }, async (request, reply) =>
    sendPage(reply, loginPage({ next: safeNext(request.query.next), oidcLabel })),
  )

  app.post<{ Body: { token?: string; next?: string } }>('/ui/login', { schema: head }, async (request, reply) => {
    // Sign-in has no session to bind a token to yet: a post from another site is refused by its origin.
    const origin = request.headers.origin
    const site = request.headers['sec-fetch-site']
    if ((origin && hostOf(origin) !== request.headers.host) || (site && site !== 'same-origin' && site !== 'none'))
      throw new CsrfError('sign-in from another site')
    const token = String(request.body?.token ?? '').trim()
    const next = safeNext(request.body?.next)
    let scope
    try {
      scope = await opts.auth({ headers: { authorization: `Bearer ${token}` } } as FastifyRequest)
    } catch {
      return sendPage(
        reply.code(401),
        loginPage({ next, error: 'That token is not valid (or was revoked).', oidcLabel }),
      )
    }
    return signIn(reply, newSession(scope, token, now(), opts.sessionHours), request).redirect(next, 303)
  })

  app.post('/ui/logout', { schema: head }, async (request, reply) => {
    reply.header('set-cookie', sessionCookie('', { secure: secure(request), maxAgeSeconds: 0 }))
    // Tamer's session ends here; the provider's own session is the provider's: its end-session page is
    // offered as a link (a redirect after a form post to another origin would break CSP form-action).
    const endSession = request.consoleSession?.actor.startsWith('oidc:') ? oidc?.endSessionUrl() : null
    if (endSession) {
      const url = new URL(endSession)
      url.searchParams.set('client_id', opts.oidc!.config.clientId)
      return sendPage(reply, loginPage({ next: '/ui/deliveries', oidcLabel, signedOut: url.href }))
    }
    return reply.redirect('/ui/login', 303)
  })

  await registerPages(app, opts)
  app.addHook('onClose', async () => opts.feed.closeAll())
}

/** An Origin header's host; null for `Origin: null` (sandboxed frames, some redirects) or anything not a URL. */
function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host
  } catch {
    return null
  }
}

export function sendPage(reply: FastifyReply, body: { value: string }) {
  return reply.type('text/html; charset=utf-8').send(body.value)
}

function errorPage(status: number, err: { code?: string; message: string }, session: Session | null, url: string) {
  // A failed single sign-on starts again from the sign-in page (not back to its callback).
  const oidc = [OidcSignInError, OidcNoGrantError, OidcUnavailableError].some((e) => err instanceof e)
  const again = oidc ? '/ui/login' : `/ui/login?next=${encodeURIComponent(url)}`
  const signIn = status === 401 || oidc ? html`<p><a href="${again}">Sign in</a></p>` : ''
  return page(
    { title: `${status}`, session },
    html`<h1>${status === 404 ? 'Not found' : status === 409 ? 'Conflict' : status === 403 ? 'Refused' : 'Error'}</h1>
      <p class="error" role="alert">${err.message} ${err.code ? html`<code>${err.code}</code>` : ''}</p>
      ${signIn}`,
  )
}
