// The one HTTP call of the git hosts' outbound clients (GitLab, Bitbucket Cloud and Server):
// JSON over fetch, bounded in time, never following a redirect (it would carry the credential
// elsewhere), and every failure classified into a HostRequestFailure the outbox can act on.
import { createHash } from 'node:crypto'
import { createMask, type Mask } from '../security/secrets.js'
import { HostRequestFailure } from './outbound.js'

export interface HostHttpOptions {
  /** The API root every path is relative to, e.g. `https://gitlab.example.com/api/v4`. */
  apiUrl: string
  timeoutMs: number
  /** The credential's headers, sent with every request. */
  auth: Record<string, string>
  /** The credential's values: masked out of every message (a host may echo what it was sent). */
  secrets: readonly string[]
  /** For messages: `GitLab`, `Bitbucket Cloud`, … */
  hostName: string
  /** Where the credential is configured (`reporting.hosts.2`): named when the host refuses it (401/403). */
  credentialName?: string | null
  /** The host's own words out of an error body (each host shapes its errors differently). */
  errorText: (body: unknown) => string | null
  now?: () => number
}

export interface HostResponse {
  status: number
  headers: Headers
  /** Parsed JSON, or null for an empty or non-JSON body. */
  body: unknown
  text: string
}

export interface HostHttp {
  /** A 2xx answer, or (when listed in `pass`) one of those statuses; any other answer throws. */
  request(method: string, path: string, body?: unknown, pass?: readonly number[]): Promise<HostResponse>
  /** The failure an answer the client passed through (and cannot use) stands for. */
  refused(res: HostResponse): HostRequestFailure
  /** The failure a client raises itself for an answer it cannot use, masked like the others. */
  failure(message: string, status: number | null, retryable: boolean): HostRequestFailure
  readonly origin: string
}

/** `Retry-After: 120` or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (!value) return null
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

/**
 * When to try again after a 429/503: `Retry-After` first; else a reset time as Unix seconds
 * (GitLab's `RateLimit-Reset`, the `X-RateLimit-Reset` of others).
 */
function waitFrom(headers: Headers, now: number): number | null {
  const after = retryAfterMs(headers.get('retry-after'), now)
  if (after !== null) return after
  const reset = headers.get('ratelimit-reset') ?? headers.get('x-ratelimit-reset')
  if (reset && /^\s*\d+\s*$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now)
  return null
}

/** 408, 425, 429 and 5xx may pass by themselves; any other 4xx will not get better by retrying. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500
}

export function createHostHttp(o: HostHttpOptions): HostHttp {
  const root = o.apiUrl.replace(/\/+$/, '')
  const origin = new URL(root).origin
  const mask: Mask = createMask([...o.secrets])
  const now = o.now ?? Date.now
  const failure = (message: string, status: number | null, retryable: boolean, after: number | null = null) =>
    new HostRequestFailure(mask(message).slice(0, 500), status, retryable, after)

  async function request(
    method: string,
    path: string,
    body?: unknown,
    pass: readonly number[] = [],
  ): Promise<HostResponse> {
    // A next-page link is absolute: follow it only on the API's own origin (the credential goes with it).
    const url = /^https?:\/\//.test(path) ? path : `${root}${path}`
    if (new URL(url).origin !== origin) throw failure(`${o.hostName} pointed to another origin`, null, false)
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'Tamer', ...o.auth }
    if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8'
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(o.timeoutMs),
      })
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } }
      const timeout = e.name === 'TimeoutError' || e.name === 'AbortError'
      const why = timeout ? `no answer within ${o.timeoutMs} ms` : `unreachable (${e.cause?.code ?? 'network error'})`
      throw failure(`${o.hostName} ${why}`, null, true)
    }
    const text = await res.text().catch(() => '')
    const answer = { status: res.status, headers: res.headers, body: parseJson(text), text }
    if ((res.status >= 200 && res.status < 300) || pass.includes(res.status)) return answer
    throw refused(answer)
  }

  function refused(res: HostResponse): HostRequestFailure {
    if (res.status >= 300 && res.status < 400) {
      // The API moved (or apiUrl names the web UI): a person must fix apiUrl; never followed.
      return failure(`${o.hostName} answered HTTP ${res.status} (a redirect: check apiUrl)`, res.status, false)
    }
    const said = (res.body !== null ? o.errorText(res.body) : null) ?? oneLine(res.text)
    const retryable = retryableStatus(res.status)
    const after = res.status === 429 || res.status === 503 ? waitFrom(res.headers, now()) : null
    const which =
      (res.status === 401 || res.status === 403) && o.credentialName ? ` (the credential of ${o.credentialName})` : ''
    const message = `${o.hostName} answered HTTP ${res.status}${said ? `: ${said}` : ''}${which}`
    return failure(message, res.status, retryable, after)
  }

  return { request, refused, failure: (m, s, r) => failure(m, s, r), origin }
}

function parseJson(text: string): unknown {
  if (!text) return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    return null
  }
}

/** A short plain-text rendering of a body that is not JSON (an HTML error page, a proxy's text). */
function oneLine(text: string): string {
  return text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200)
}

/** `v[key]` when `v` is a plain object, else undefined: reading hosts' JSON without `any`. */
export function field(v: unknown, key: string): unknown {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null
}

/**
 * A status key within a host's length limit, the same for the same context (so a later state
 * replaces the earlier one): the context itself, or its head and a hash of the whole when longer.
 */
export function statusKey(context: string, max: number): string {
  if (context.length <= max) return context
  const hash = createHash('sha256').update(context).digest('hex').slice(0, 12)
  return `${context.slice(0, max - 13)}~${hash}`
}

/** `main` for `refs/heads/main` (and `v1` for `refs/tags/v1`): GitLab and Bitbucket Cloud name refs bare. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '')
}

/** What compose gives a host client besides its `reporting.hosts` entry. */
export interface HostClientSettings {
  /** The entry's index: a refused credential is named `reporting.hosts.<index>`, never shown. */
  index: number
  /** `reporting.timeoutMs`. */
  timeoutMs: number
  /** Tamer's public URL (`jenkins.publicUrl`): a status's url where the host wants one and it has none. */
  publicUrl?: string | null
}

/**
 * Bitbucket (Cloud and Server) shows raw HTML as text, so the living comment's hidden marker
 * `<!-- x -->` is written as a Markdown link reference definition, `[//]: # (x)`, which renders
 * as nothing (how danger-js marks its Bitbucket comments). Only a comment on a line of its own.
 */
const LINE_HTML_COMMENT = /^[ \t]*<!--[ \t]*([^\n()]*?)[ \t]*-->[ \t]*$/gm

export function hideMarkersForBitbucket(body: string): string {
  return body.replace(LINE_HTML_COMMENT, '[//]: # ($1)')
}

/** The forms a marker may have on Bitbucket: as given, and as `hideMarkersForBitbucket` wrote it. */
export function bitbucketMarkerForms(marker: string): string[] {
  const hidden = hideMarkersForBitbucket(marker)
  return hidden === marker ? [marker] : [marker, hidden]
}
