// Bitbucket Cloud's outbound client (REST 2.0): build statuses on a commit and one living
// pull-request comment. An app password / API token (Basic) or an access token (Bearer).
// REST over fetch rather than the `bitbucket` package: it is UMD, so Node's ESM import gets only a
// default export while its types declare a named `Bitbucket` (the typed import fails at run time);
// it fetches through node-fetch 2 and prints a banner to stdout when constructed.
// Facts relied on, with sources: test/support/hosts/bitbucket-cloud-facts.md.
import type { ReportingHostConfig } from '../../config/schema.js'
import {
  bitbucketMarkerForms,
  createHostHttp,
  field,
  hideMarkersForBitbucket,
  shortRef,
  statusKey,
  str,
  type HostClientSettings,
  type HostHttp,
} from '../outbound-http.js'
import {
  COMMENT_LIMITS,
  cutDescription,
  notConfiguredClient,
  type CommitState,
  type CommitStatus,
  type HostAnswer,
  type HostClient,
  type PullRequestRef,
} from '../outbound.js'

export type BitbucketCloudCredentials =
  /** An app password or Atlassian API token, with the account's username (or e-mail for API tokens). */
  | { kind: 'basic'; username: string; password: string }
  /** A repository, project or workspace access token. */
  | { kind: 'bearer'; token: string }

export interface BitbucketCloudClientOptions {
  /** `https://api.bitbucket.org/2.0`. */
  apiUrl: string
  credentials: BitbucketCloudCredentials
  timeoutMs: number
  /** Where the credential is configured (`reporting.hosts.2`), named when the host refuses it. */
  credentialName?: string | null
  /** Sent as a status's `url` when it has no target (Bitbucket wants one): Tamer's own page. */
  fallbackUrl?: string | null
}

/** Bitbucket Cloud's commit status `state` enum. */
const STATES: Record<CommitState, string> = {
  pending: 'INPROGRESS',
  running: 'INPROGRESS',
  success: 'SUCCESSFUL',
  failure: 'FAILED',
  error: 'FAILED',
  cancelled: 'STOPPED',
}

/** No limit is documented for Cloud; Bitbucket Server's 255 (every build status field) is kept. */
const FIELD_MAX = 255
const PAGELEN = 100
const MAX_PAGES = 100

export class BitbucketCloudClient implements HostClient {
  readonly provider = 'bitbucket-cloud' as const
  readonly configured = true
  readonly commentLimit = COMMENT_LIMITS['bitbucket-cloud']
  private readonly http: HostHttp
  private readonly fallbackUrl: string | null

  constructor(o: BitbucketCloudClientOptions) {
    const c = o.credentials
    const basic = c.kind === 'basic' ? Buffer.from(`${c.username}:${c.password}`).toString('base64') : null
    this.http = createHostHttp({
      apiUrl: o.apiUrl,
      timeoutMs: o.timeoutMs,
      credentialName: o.credentialName ?? null,
      auth: { authorization: basic ? `Basic ${basic}` : `Bearer ${c.kind === 'bearer' ? c.token : ''}` },
      secrets: c.kind === 'basic' ? [c.password, basic ?? ''] : [c.token],
      hostName: 'Bitbucket Cloud',
      errorText: cloudErrorText,
    })
    this.fallbackUrl = o.fallbackUrl ?? null
  }

  async setStatus(s: CommitStatus): Promise<HostAnswer> {
    const body: Record<string, unknown> = {
      key: statusKey(s.context, FIELD_MAX),
      state: STATES[s.state],
      name: s.context.slice(0, FIELD_MAX),
      description: cutDescription(s.description, FIELD_MAX),
    }
    const url = s.targetUrl ?? this.fallbackUrl
    if (url) body.url = url
    // refname = the branch: Bitbucket shows the status on that branch's pull requests too.
    if (s.ref) body.refname = shortRef(s.ref)
    const res = await this.http.request(
      'POST',
      `${repo(s.repository)}/commit/${encodeURIComponent(s.sha)}/statuses/build`,
      body,
    )
    return { status: res.status, id: str(field(res.body, 'uuid')), url: str(field(res.body, 'url')) }
  }

  async findComment(pr: PullRequestRef, marker: string): Promise<{ id: string } | null> {
    const forms = bitbucketMarkerForms(marker)
    let next: string | null = `${comments(pr)}?pagelen=${PAGELEN}`
    for (let n = 0; next && n < MAX_PAGES; n++) {
      const res = await this.http.request('GET', next)
      const values = field(res.body, 'values')
      for (const c of Array.isArray(values) ? values : []) {
        const raw = str(field(field(c, 'content'), 'raw'))
        if (field(c, 'deleted') !== true && raw && forms.some((f) => raw.includes(f)))
          return { id: String(field(c, 'id')) }
      }
      // `next` is a full URL; its absence ends the list.
      next = str(field(res.body, 'next'))
    }
    return null
  }

  async createComment(pr: PullRequestRef, body: string): Promise<HostAnswer> {
    const res = await this.http.request('POST', comments(pr), { content: { raw: hideMarkersForBitbucket(body) } })
    return commentAnswer(res.status, res.body)
  }

  async updateComment(pr: PullRequestRef, commentId: string, body: string): Promise<HostAnswer> {
    const res = await this.http.request('PUT', `${comments(pr)}/${encodeURIComponent(commentId)}`, {
      content: { raw: hideMarkersForBitbucket(body) },
    })
    return commentAnswer(res.status, res.body)
  }
}

/** `workspace/repo_slug` → `/repositories/workspace/repo_slug`, each part encoded. */
function repo(repository: string): string {
  const at = repository.indexOf('/')
  const workspace = at < 0 ? repository : repository.slice(0, at)
  const slug = at < 0 ? '' : repository.slice(at + 1)
  return `/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(slug)}`
}

function comments(pr: PullRequestRef): string {
  return `${repo(pr.repository)}/pullrequests/${pr.number}/comments`
}

function commentAnswer(status: number, body: unknown): HostAnswer {
  return { status, id: str(field(body, 'id')), url: str(field(field(field(body, 'links'), 'html'), 'href')) }
}

/** `{"type": "error", "error": {"message": "…", "detail": "…"}}`. */
function cloudErrorText(body: unknown): string | null {
  const e = field(body, 'error')
  const message = str(field(e, 'message'))
  const detail = field(e, 'detail')
  const more = typeof detail === 'string' ? detail : detail !== undefined ? JSON.stringify(detail) : null
  return message ? (more ? `${message} (${more.slice(0, 200)})` : message) : null
}

/** The credentials of a config entry: `username` + token is Basic, a token alone (or `x-token-auth`) Bearer. */
export function bitbucketCloudCredentials(
  username: string | null | undefined,
  token: string,
): BitbucketCloudCredentials {
  return username && username !== 'x-token-auth'
    ? { kind: 'basic', username, password: token }
    : { kind: 'bearer', token }
}

/** The client of one `reporting.hosts` entry of provider `bitbucket-cloud` (apiUrl defaults to api.bitbucket.org's). */
export function bitbucketCloudClientFor(entry: ReportingHostConfig, s: HostClientSettings): HostClient {
  if (!entry.token) return notConfiguredClient('bitbucket-cloud')
  return new BitbucketCloudClient({
    apiUrl: entry.apiUrl ?? 'https://api.bitbucket.org/2.0',
    credentials: bitbucketCloudCredentials(entry.username, entry.token),
    timeoutMs: s.timeoutMs,
    credentialName: `reporting.hosts.${s.index}`,
    fallbackUrl: s.publicUrl || null,
  })
}
