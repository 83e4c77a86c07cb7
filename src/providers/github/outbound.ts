// The GitHub outbound client (issue #13): commit statuses and the living PR comment, through
// Octokit (@octokit/core) on api.github.com or a GitHub Enterprise Server (`…/api/v3`). A token,
// or a GitHub App whose installation tokens @octokit/auth-app makes and caches, refreshing each
// before it expires (https://github.com/octokit/auth-app.js#authentication-object).
// Retries are the outbox's: this client makes one request per call and says whether a failure is
// worth another (5xx, 429, rate limits, network), with the wait GitHub asked for.
import { createAppAuth } from '@octokit/auth-app'
import { Octokit } from '@octokit/core'
import type { Logger } from 'pino'
import type { ReportingHostConfig } from '../../config/schema.js'
import {
  COMMENT_LIMITS,
  notConfiguredClient,
  cutDescription,
  HostRequestFailure,
  type CommitState,
  type CommitStatus,
  type HostAnswer,
  type HostClient,
  type PullRequestRef,
} from '../outbound.js'

export type GitHubCredentials =
  { token: string } | { app: { id: number | string; privateKey: string; installationId?: number } }

export interface GitHubClientOptions {
  /** `https://api.github.com` (default) or a GHES `https://ghe.example.com/api/v3`. */
  baseUrl?: string
  credentials: GitHubCredentials
  /** A fetch-compatible function (tests, proxies); default the global fetch. */
  fetch?: typeof fetch
  timeoutMs: number
  logger?: Logger
  /** The clock that decides when an installation token is renewed (default Date.now). */
  now?: () => number
}

/** GitHub's limit on a status description (https://docs.github.com/rest/commits/statuses). */
const DESCRIPTION_MAX = 140
const PAGE = 100

/** GitHub's statuses API knows four states; `running` is pending, `cancelled` an error. */
const STATE: Record<CommitState, 'pending' | 'success' | 'failure' | 'error'> = {
  pending: 'pending',
  running: 'pending',
  success: 'success',
  failure: 'failure',
  error: 'error',
  cancelled: 'error',
}

interface OctokitError {
  status?: number
  message?: string
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown }
}

/** How long GitHub asked to wait: Retry-After (seconds), else the primary limit's reset time. */
function retryAfterOf(headers: Record<string, string | number | undefined>, now: number): number | null {
  const after = headers['retry-after']
  if (after !== undefined) {
    const s = Number(after)
    if (Number.isFinite(s)) return Math.max(0, s * 1000)
    const at = Date.parse(String(after))
    if (Number.isFinite(at)) return Math.max(0, at - now)
  }
  if (String(headers['x-ratelimit-remaining']) === '0' && headers['x-ratelimit-reset'] !== undefined) {
    const reset = Number(headers['x-ratelimit-reset']) * 1000
    if (Number.isFinite(reset)) return Math.max(0, reset - now)
  }
  return null
}

/**
 * Turns Octokit's error into a HostRequestFailure. GitHub's rate limits: 429, or 403 with
 * Retry-After (secondary) or X-RateLimit-Remaining: 0 (primary) — retryable, after the wait
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit).
 * The message carries GitHub's own `message`, never the request (its Authorization header).
 */
export function githubFailure(err: unknown, what: string, now = Date.now()): HostRequestFailure {
  if (err instanceof HostRequestFailure) return err
  const e = (err ?? {}) as OctokitError
  // Octokit reports a request that got no answer (refused, reset, timed out) as a 500 without a response.
  const status = typeof e.status === 'number' && e.status > 0 && e.response ? e.status : null
  if (status === null) {
    const cause = err instanceof Error ? err.message : String(err)
    return new HostRequestFailure(`GitHub ${what}: no answer (${cause})`, null, true, null)
  }
  const headers = e.response?.headers ?? {}
  const data = e.response?.data as { message?: unknown; errors?: unknown } | string | undefined
  let said = typeof data === 'object' && data && typeof data.message === 'string' ? data.message : ''
  if (typeof data === 'object' && data && Array.isArray(data.errors))
    said += ` ${data.errors.map((x: { message?: string; code?: string }) => x?.message ?? x?.code ?? '').join('; ')}`
  said = said.trim().slice(0, 300)
  const retryAfterMs = retryAfterOf(headers, now)
  const rateLimited = status === 429 || (status === 403 && (retryAfterMs !== null || /rate limit/i.test(said)))
  const retryable = status >= 500 || rateLimited || status === 408
  return new HostRequestFailure(
    `GitHub ${what}: ${status}${said ? ` ${said}` : ''}`,
    status,
    retryable,
    rateLimited || status >= 500 ? retryAfterMs : null,
  )
}

/** An installation token is renewed this long before the expiry GitHub gave it (or at half its life). */
const RENEW_BEFORE_MS = 5 * 60_000

/**
 * auth-app's token cache, kept by the expiry GitHub answered (`expires_at`) instead of its default
 * 59 minutes from creation. Entries are auth-app's `token|createdAt|expiresAt|…` strings
 * (@octokit/auth-app src/cache.ts); one that does not parse is treated as expired.
 */
export function expiryAwareCache(now: () => number) {
  const entries = new Map<string, string>()
  return {
    get(key: string): string | undefined {
      const value = entries.get(key)
      if (value === undefined) return undefined
      const [, createdAt = '', expiresAt = ''] = value.split('|')
      const life = Date.parse(expiresAt) - Date.parse(createdAt)
      const renewAt = Date.parse(expiresAt) - Math.min(RENEW_BEFORE_MS, life / 2)
      if (Number.isFinite(renewAt) && now() < renewAt) return value
      entries.delete(key)
      return undefined
    },
    set(key: string, value: string): void {
      entries.set(key, value)
    },
  }
}

function split(repository: string): { owner: string; repo: string } {
  const i = repository.indexOf('/')
  return { owner: repository.slice(0, i), repo: repository.slice(i + 1) }
}

export function createGitHubClient(options: GitHubClientOptions): HostClient {
  const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '')
  const common = {
    baseUrl,
    userAgent: 'tamer',
    request: { fetch: options.fetch ?? globalThis.fetch },
    // Octokit logs warnings (deprecations) to the console by default; ours go to the service's log.
    log: {
      debug: () => {},
      info: () => {},
      warn: (m: string) => options.logger?.warn({ provider: 'github' }, m),
      error: (m: string) => options.logger?.error({ provider: 'github' }, m),
    },
  }
  const creds = options.credentials

  // Per installation, one Octokit whose auth-app hook caches that installation's token.
  const installations = new Map<number, Octokit>()
  const installationOf = new Map<string, number>()
  const appOctokit =
    'app' in creds
      ? new Octokit({
          ...common,
          authStrategy: createAppAuth,
          auth: { appId: creds.app.id, privateKey: creds.app.privateKey },
        })
      : null
  const tokenOctokit = 'token' in creds ? new Octokit({ ...common, auth: creds.token }) : null

  const signal = () => AbortSignal.timeout(options.timeoutMs)

  async function octokitFor(owner: string, repo: string): Promise<Octokit> {
    if (tokenOctokit) return tokenOctokit
    if (!('app' in creds) || !appOctokit) throw new Error('bug: a GitHub client without credentials')
    let id = creds.app.installationId ?? installationOf.get(`${owner}/${repo}`)
    if (id === undefined) {
      // The app's JWT asks which installation covers the repository
      // (https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app).
      try {
        const res = await appOctokit.request('GET /repos/{owner}/{repo}/installation', {
          owner,
          repo,
          request: { signal: signal() },
        })
        id = res.data.id
        installationOf.set(`${owner}/${repo}`, id)
      } catch (err) {
        throw githubFailure(err, `app installation of ${owner}/${repo}`)
      }
    }
    let o = installations.get(id)
    if (!o) {
      o = new Octokit({
        ...common,
        authStrategy: createAppAuth,
        auth: {
          appId: creds.app.id,
          privateKey: creds.app.privateKey,
          installationId: id,
          cache: expiryAwareCache(options.now ?? Date.now),
        },
      })
      installations.set(id, o)
    }
    return o
  }

  return {
    provider: 'github',
    configured: true,
    commentLimit: COMMENT_LIMITS.github,

    async setStatus(s: CommitStatus): Promise<HostAnswer> {
      const { owner, repo } = split(s.repository)
      const o = await octokitFor(owner, repo)
      const description = cutDescription(
        s.state === 'cancelled' && !/cancel/i.test(s.description) ? `Cancelled: ${s.description}` : s.description,
        DESCRIPTION_MAX,
      )
      try {
        const res = await o.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
          owner,
          repo,
          sha: s.sha,
          state: STATE[s.state],
          context: s.context,
          description,
          ...(s.targetUrl ? { target_url: s.targetUrl } : {}),
          request: { signal: signal() },
        })
        return { status: res.status, id: String(res.data.id), url: res.data.url ?? null }
      } catch (err) {
        throw githubFailure(err, `status ${s.context} on ${s.repository}@${s.sha.slice(0, 12)}`)
      }
    },

    async findComment(pr: PullRequestRef, marker: string) {
      const { owner, repo } = split(pr.repository)
      const o = await octokitFor(owner, repo)
      try {
        for (let page = 1; ; page++) {
          const res = await o.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
            owner,
            repo,
            issue_number: pr.number,
            per_page: PAGE,
            page,
            request: { signal: signal() },
          })
          const hit = res.data.find((c) => (c.body ?? '').includes(marker))
          if (hit) return { id: String(hit.id) }
          if (res.data.length < PAGE) return null
        }
      } catch (err) {
        throw githubFailure(err, `comments of ${pr.repository}#${pr.number}`)
      }
    },

    async createComment(pr: PullRequestRef, body: string): Promise<HostAnswer> {
      const { owner, repo } = split(pr.repository)
      const o = await octokitFor(owner, repo)
      try {
        const res = await o.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          owner,
          repo,
          issue_number: pr.number,
          body,
          request: { signal: signal() },
        })
        return { status: res.status, id: String(res.data.id), url: res.data.html_url ?? null }
      } catch (err) {
        throw githubFailure(err, `new comment on ${pr.repository}#${pr.number}`)
      }
    },

    async updateComment(pr: PullRequestRef, commentId: string, body: string): Promise<HostAnswer> {
      const { owner, repo } = split(pr.repository)
      const o = await octokitFor(owner, repo)
      try {
        const res = await o.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          owner,
          repo,
          comment_id: Number(commentId),
          body,
          request: { signal: signal() },
        })
        return { status: res.status, id: String(res.data.id), url: res.data.html_url ?? null }
      } catch (err) {
        throw githubFailure(err, `comment ${commentId} on ${pr.repository}#${pr.number}`)
      }
    },
  }
}

/** The client of one `reporting.hosts` entry of provider `github` (apiUrl defaults to api.github.com). */
export function githubClientFor(
  entry: ReportingHostConfig,
  s: { index: number; timeoutMs: number; logger?: Logger; fetch?: typeof fetch },
): HostClient {
  const credentials: GitHubCredentials | null = entry.app
    ? { app: { id: entry.app.id, privateKey: entry.app.privateKey, installationId: entry.app.installationId } }
    : entry.token
      ? { token: entry.token }
      : null
  if (!credentials) return notConfiguredClient('github')
  return createGitHubClient({
    baseUrl: entry.apiUrl,
    credentials,
    timeoutMs: s.timeoutMs,
    logger: s.logger,
    fetch: s.fetch,
  })
}
