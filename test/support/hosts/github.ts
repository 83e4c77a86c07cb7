// A GitHub stand-in (issue #13): a real HTTP server on 127.0.0.1 that checks every request
// against GitHub's published OpenAPI description (./github-openapi.ts) and its own answers too,
// and answers like api.github.com: commit statuses (with GitHub's 1,000 statuses per SHA and
// context, then 422), issue comments with Link paging, GitHub App installation tokens (RS256 JWT
// checked with the app's public key, tokens that expire), 401 for a bad token, 404 for a
// repository it does not have. `script()` makes the next matching requests answer 403/429/5xx,
// with Retry-After, or hang. Facts: https://docs.github.com/rest/commits/statuses,
// https://docs.github.com/rest/issues/comments, https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app.
import { createVerify, randomBytes, type KeyObject } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { requestProblems, responseProblems, routeOf, type Route } from './github-openapi.js'

export interface GitHubRequest {
  method: string
  path: string
  /** The documented path template (`/repos/{owner}/{repo}/statuses/{sha}`), or null. */
  route: string | null
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: unknown
}

export interface GitHubAnswer {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

export interface PostedStatus {
  id: number
  repository: string
  sha: string
  state: string
  context: string
  description: string | null
  target_url: string | null
}

export interface PostedComment {
  id: number
  repository: string
  issue: number
  body: string
  /** How many times it was edited. */
  edits: number
}

const DOCS = 'https://docs.github.com/rest'
/** GitHub keeps at most 1,000 statuses per SHA and context (docs: commits/statuses#create-a-commit-status). */
const STATUS_LIMIT = 1000

const user = (login: string) => ({
  login,
  id: 1,
  node_id: 'U_1',
  avatar_url: '',
  gravatar_id: null,
  url: `https://api.github.com/users/${login}`,
  html_url: `https://github.com/${login}`,
  followers_url: '',
  following_url: '',
  gists_url: '',
  starred_url: '',
  subscriptions_url: '',
  organizations_url: '',
  repos_url: '',
  events_url: '',
  received_events_url: '',
  type: 'Bot',
  site_admin: false,
})

export interface GitHubStandInOptions {
  /** Repositories it has (`owner/name`); others answer 404. */
  repositories: string[]
  /** Personal access tokens it accepts. */
  tokens?: string[]
  /** A GitHub App: its id, public key, and which installation covers which owner. */
  app?: { id: number; publicKey: KeyObject; installations: Record<string, number>; tokenTtlMs?: number }
  /** Statuses per SHA and context before 422 (GitHub: 1,000). */
  statusLimit?: number
  /** The clock installation tokens expire by (JWTs are checked against the real one). */
  now?: () => number
}

export class GitHubStandIn {
  readonly requests: GitHubRequest[] = []
  readonly violations: string[] = []
  readonly statuses: PostedStatus[] = []
  readonly comments: PostedComment[] = []
  /** Installation tokens it made: value → installation and expiry. */
  readonly issued = new Map<string, { installation: number; expiresAt: number }>()
  url = ''
  private nextId = 1000
  private readonly scripted: {
    answer: GitHubAnswer | 'hang' | 'apply-then-hang'
    match?: (r: GitHubRequest) => boolean
  }[] = []
  private listener: ((r: GitHubRequest, applied: boolean) => void) | null = null
  private readonly hanging = new Set<ServerResponse>()
  private readonly server = createServer((req, res) => void this.serve(req, res))
  private readonly now: () => number

  private readonly o: GitHubStandInOptions

  constructor(o: GitHubStandInOptions) {
    this.o = o
    this.now = o.now ?? Date.now
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /**
   * The next request `match` accepts (default: any) gets this answer; then GitHub's own again. `hang`: never
   * answered, nothing done; `apply-then-hang`: done as GitHub would (recorded), then never answered (the answer
   * lost on the way back).
   */
  script(answer: GitHubAnswer | 'hang' | 'apply-then-hang', match?: (r: GitHubRequest) => boolean): void {
    this.scripted.push(match ? { answer, match } : { answer })
  }

  /** Called with each request once handled, before its answer leaves (`applied`: GitHub acted on it). */
  onRequest(listener: ((r: GitHubRequest, applied: boolean) => void) | null): void {
    this.listener = listener
  }

  /** The statuses of one commit and context, oldest first. */
  statusesOf(repository: string, sha: string, context?: string): PostedStatus[] {
    return this.statuses.filter(
      (s) => s.repository === repository && s.sha === sha && (context === undefined || s.context === context),
    )
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const u = new URL(req.url ?? '/', 'http://x')
    const r: GitHubRequest = {
      method: req.method ?? '',
      path: u.pathname,
      route: null,
      query: u.searchParams,
      headers: req.headers,
      body: null,
    }
    this.requests.push(r)
    let answer: GitHubAnswer | 'hang'
    let route: Route | string = `${r.path} not routed`
    try {
      if (text) r.body = JSON.parse(text) as unknown
    } catch {
      this.violations.push(`${r.method} ${r.path}: body is not JSON`)
    }
    route = routeOf(r.method, r.path)
    if (typeof route === 'string') {
      this.violations.push(`${r.method} ${r.path}: ${route}`)
      answer = { status: 404, body: { message: 'Not Found', documentation_url: DOCS } }
    } else {
      r.route = route.template
      const problems = requestProblems(route, r.query, r.body)
      if (text && !/^application\/json\b/.test(req.headers['content-type'] ?? ''))
        problems.push(`body sent as ${req.headers['content-type'] ?? 'no content type'}`)
      if (problems.length > 0) {
        this.violations.push(...problems.map((p) => `${r.method} ${route.template}: ${p}`))
        answer = { status: 422, body: { message: 'Invalid request.', errors: problems, documentation_url: DOCS } }
      } else {
        const i = this.scripted.findIndex((s) => !s.match || s.match(r))
        const scripted = i >= 0 ? this.scripted.splice(i, 1)[0]!.answer : this.handle(route, r)
        if (scripted === 'apply-then-hang') {
          this.handle(route, r)
          this.listener?.(r, true)
          this.hanging.add(res)
          return
        }
        answer = scripted
      }
    }
    if (answer === 'hang') {
      this.listener?.(r, false)
      this.hanging.add(res)
      return
    }
    this.listener?.(r, answer.status < 300)
    if (typeof route !== 'string' && answer.status < 300)
      for (const p of responseProblems(route, answer.status, answer.body))
        this.violations.push(`stand-in's own answer to ${r.method} ${route.template}: ${p}`)
    const body = answer.body === undefined ? '' : JSON.stringify(answer.body)
    res.writeHead(answer.status, {
      ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      ...answer.headers,
    })
    res.end(body)
  }

  /** Who the Authorization header is: a token it accepts, the app (a valid JWT), or nobody. */
  private caller(r: GitHubRequest): 'user' | 'app' | { installation: number } | null {
    const auth = r.headers.authorization ?? ''
    const m = /^(?:token|bearer) (\S+)$/i.exec(auth)
    if (!m) return null
    const value = m[1]!
    if (this.o.tokens?.includes(value)) return 'user'
    const issued = this.issued.get(value)
    if (issued) return issued.expiresAt > this.now() ? { installation: issued.installation } : null
    if (this.o.app && value.split('.').length === 3) {
      const [h, p, s] = value.split('.') as [string, string, string]
      const ok = createVerify('RSA-SHA256')
        .update(`${h}.${p}`)
        .verify(this.o.app.publicKey, Buffer.from(s, 'base64url'))
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number }
      const nowS = Date.now() / 1000
      // GitHub: iss is the app's id (or client id), exp at most 10 minutes ahead.
      if (
        ok &&
        String(claims.iss) === String(this.o.app.id) &&
        (claims.exp ?? 0) > nowS &&
        (claims.exp ?? 0) <= nowS + 660
      )
        return 'app'
    }
    return null
  }

  private handle(route: Route, r: GitHubRequest): GitHubAnswer {
    const caller = this.caller(r)
    if (!caller) return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } }
    const p = route.params
    const repository = p.owner && p.repo ? `${p.owner}/${p.repo}` : null
    const notFound = { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } }
    if (repository && !this.o.repositories.includes(repository)) return notFound
    const at = new Date(this.now()).toISOString()
    const key = `${route.method} ${route.template}`
    if (caller === 'app') {
      // A JWT opens only the app's own endpoints.
      if (key === 'GET /repos/{owner}/{repo}/installation') {
        const id = this.o.app!.installations[p.owner!]
        if (id === undefined) return notFound
        return { status: 200, body: this.installation(id, at) }
      }
      if (key === 'POST /app/installations/{installation_id}/access_tokens') {
        const id = Number(p.installation_id)
        if (!Object.values(this.o.app!.installations).includes(id)) return notFound
        const token = `ghs_${randomBytes(18).toString('hex')}`
        const expiresAt = this.now() + (this.o.app!.tokenTtlMs ?? 3_600_000)
        this.issued.set(token, { installation: id, expiresAt })
        return {
          status: 201,
          body: { token, expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'), permissions: {} },
        }
      }
      return {
        status: 403,
        body: { message: 'A JSON web token could not be decoded', documentation_url: DOCS, status: '403' },
      }
    }
    if (typeof caller === 'object' && repository) {
      const owner = Object.entries(this.o.app!.installations).find(([, id]) => id === caller.installation)?.[0]
      if (owner !== p.owner) return notFound
    }
    if (key === 'POST /repos/{owner}/{repo}/statuses/{sha}') {
      const b = r.body as { state: string; context?: string; description?: string | null; target_url?: string | null }
      const context = b.context ?? 'default'
      if (this.statusesOf(repository!, p.sha!, context).length >= (this.o.statusLimit ?? STATUS_LIMIT))
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'Status',
                code: 'custom',
                field: 'context',
                message: 'This SHA and context has reached the maximum number of statuses.',
              },
            ],
            documentation_url: `${DOCS}/commits/statuses#create-a-commit-status`,
            status: '422',
          },
        }
      const s: PostedStatus = {
        id: this.nextId++,
        repository: repository!,
        sha: p.sha!,
        state: b.state,
        context,
        description: b.description ?? null,
        target_url: b.target_url ?? null,
      }
      this.statuses.push(s)
      return {
        status: 201,
        body: {
          url: `${this.url}/repos/${repository}/statuses/${s.sha}`,
          avatar_url: null,
          id: s.id,
          node_id: `SC_${s.id}`,
          state: s.state,
          description: s.description,
          target_url: s.target_url,
          context,
          created_at: at,
          updated_at: at,
          creator: user('tamer[bot]'),
        },
      }
    }
    if (key === 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments') {
      const all = this.comments.filter((c) => c.repository === repository && c.issue === Number(p.issue_number))
      const perPage = Math.min(100, Number(r.query.get('per_page') ?? 30))
      const page = Number(r.query.get('page') ?? 1)
      const slice = all.slice((page - 1) * perPage, page * perPage)
      const last = Math.max(1, Math.ceil(all.length / perPage))
      const link = (n: number, rel: string) => `<${this.url}${r.path}?per_page=${perPage}&page=${n}>; rel="${rel}"`
      const headers: Record<string, string> =
        page < last ? { link: [link(page + 1, 'next'), link(last, 'last')].join(', ') } : {}
      return { status: 200, headers, body: slice.map((c) => this.comment(c, at)) }
    }
    if (key === 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments') {
      const body = (r.body as { body: string }).body
      // Issue comments are limited to 65,536 characters (GitHub answers 422 "body is too long").
      if (body.length > 65_536) return this.tooLong()
      const c: PostedComment = {
        id: this.nextId++,
        repository: repository!,
        issue: Number(p.issue_number),
        body,
        edits: 0,
      }
      this.comments.push(c)
      return { status: 201, body: this.comment(c, at) }
    }
    if (key === 'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}') {
      const c = this.comments.find((x) => x.id === Number(p.comment_id) && x.repository === repository)
      if (!c) return notFound
      const body = (r.body as { body: string }).body
      if (body.length > 65_536) return this.tooLong()
      c.body = body
      c.edits++
      return { status: 200, body: this.comment(c, at) }
    }
    this.violations.push(`${key}: documented, but not one Tamer should call`)
    return notFound
  }

  private tooLong(): GitHubAnswer {
    return {
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [
          {
            resource: 'IssueComment',
            code: 'custom',
            field: 'body',
            message: 'body is too long (maximum is 65536 characters)',
          },
        ],
        documentation_url: DOCS,
        status: '422',
      },
    }
  }

  private comment(c: PostedComment, at: string) {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${this.url}/repos/${c.repository}/issues/comments/${c.id}`,
      html_url: `https://github.com/${c.repository}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${this.url}/repos/${c.repository}/issues/${c.issue}`,
      body: c.body,
      user: user('tamer[bot]'),
      created_at: at,
      updated_at: at,
      author_association: 'NONE',
    }
  }

  private installation(id: number, at: string) {
    return {
      id,
      app_id: this.o.app!.id,
      app_slug: 'tamer',
      target_id: 1,
      target_type: 'Organization',
      single_file_name: null,
      repository_selection: 'all',
      access_tokens_url: `${this.url}/app/installations/${id}/access_tokens`,
      html_url: `https://github.com/settings/installations/${id}`,
      repositories_url: `${this.url}/installation/repositories`,
      events: [],
      account: user('acme'),
      permissions: { statuses: 'write', pull_requests: 'write' },
      created_at: at,
      updated_at: at,
      suspended_by: null,
      suspended_at: null,
    }
  }
}
