// Bitbucket Server / Data Center's outbound client (documented REST): build statuses on a commit,
// on the repository's builds resource (7.4+) or, for an older server, the legacy build-status 1.0;
// and one living pull-request comment. An HTTP access token (Bearer).
// Facts relied on, with sources: test/support/hosts/bitbucket-server-facts.md.
import type { ReportingHostConfig } from '../../config/schema.js'
import {
  bitbucketMarkerForms,
  createHostHttp,
  field,
  hideMarkersForBitbucket,
  statusKey,
  str,
  type HostClientSettings,
  type HostHttp,
  type HostResponse,
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

export interface BitbucketServerClientOptions {
  /** The server's base URL (with its context path, if any): `https://bitbucket.example.com`. */
  apiUrl: string
  /** An HTTP access token (personal, project or repository), sent as Bearer. */
  token: string
  timeoutMs: number
  /** Where the credential is configured (`reporting.hosts.2`), named when the host refuses it. */
  credentialName?: string | null
  /** Sent as a status's `url` when it has no target (the field is mandatory): Tamer's own page. */
  fallbackUrl?: string | null
}

/** The builds resource's `state` enum; the legacy 1.0 resource has no CANCELLED. */
const STATES: Record<CommitState, string> = {
  pending: 'INPROGRESS',
  running: 'INPROGRESS',
  success: 'SUCCESSFUL',
  failure: 'FAILED',
  error: 'FAILED',
  cancelled: 'CANCELLED',
}

/** "All fields … are limited to 255 characters, except for the url, which is limited to 450." */
const FIELD_MAX = 255
const URL_MAX = 450
const PAGE_LIMIT = 100
const MAX_PAGES = 100

export class BitbucketServerClient implements HostClient {
  readonly provider = 'bitbucket-server' as const
  readonly configured = true
  readonly commentLimit = COMMENT_LIMITS['bitbucket-server']
  private readonly http: HostHttp
  private readonly fallbackUrl: string | null
  private readonly webRoot: string
  /** Set once the server showed it has no builds resource (before 7.4): later statuses go to 1.0 directly. */
  private legacy = false

  constructor(o: BitbucketServerClientOptions) {
    this.webRoot = o.apiUrl.replace(/\/+$/, '')
    this.http = createHostHttp({
      apiUrl: this.webRoot,
      timeoutMs: o.timeoutMs,
      credentialName: o.credentialName ?? null,
      auth: { authorization: `Bearer ${o.token}` },
      secrets: [o.token],
      hostName: 'Bitbucket Server',
      errorText: serverErrorText,
    })
    this.fallbackUrl = o.fallbackUrl ?? null
  }

  /** True once statuses go to the legacy build-status 1.0 resource. */
  get usesLegacyBuildStatus(): boolean {
    return this.legacy
  }

  async setStatus(s: CommitStatus): Promise<HostAnswer> {
    // The url is mandatory and at most 450 characters: a longer target gives way to Tamer's own page.
    const target = s.targetUrl && s.targetUrl.length <= URL_MAX ? s.targetUrl : null
    const url = (target ?? this.fallbackUrl ?? s.targetUrl ?? '').slice(0, URL_MAX)
    if (!url)
      throw this.http.failure('Bitbucket Server needs a url for a build status, and this one has none', null, false)
    const sha = encodeURIComponent(s.sha)
    if (!this.legacy) {
      const body: Record<string, unknown> = {
        key: statusKey(s.context, FIELD_MAX),
        state: STATES[s.state],
        url,
        name: s.context.slice(0, FIELD_MAX),
        description: cutDescription(s.description, FIELD_MAX),
      }
      if (s.ref) body.ref = s.ref.startsWith('refs/') ? s.ref : `refs/heads/${s.ref}`
      const res = await this.http.request('POST', `${repoPath(s.repository)}/commits/${sha}/builds`, body, [404])
      if (res.status !== 404) return { status: res.status, id: null, url: null }
      // A 404 naming the repository, project or commit is that (dead); any other 404 is a server
      // without the builds resource (Bitbucket Server before 7.4): use the legacy one from now on.
      if (namesMissingThing(res)) throw this.http.refused(res)
      this.legacy = true
    }
    const state = s.state === 'cancelled' ? 'FAILED' : STATES[s.state]
    const description = s.state === 'cancelled' ? `cancelled: ${s.description}` : s.description
    const res = await this.http.request('POST', `/rest/build-status/1.0/commits/${sha}`, {
      state,
      key: statusKey(s.context, FIELD_MAX),
      name: s.context.slice(0, FIELD_MAX),
      url,
      description: cutDescription(description, FIELD_MAX),
    })
    return { status: res.status, id: null, url: null }
  }

  /**
   * General pull-request comments are listed through the activities (`GET …/comments` wants a
   * file `path`): COMMENTED activities carry the comment as it is now.
   */
  async findComment(pr: PullRequestRef, marker: string): Promise<{ id: string } | null> {
    const forms = bitbucketMarkerForms(marker)
    let start: number | null = 0
    for (let n = 0; start !== null && n < MAX_PAGES; n++) {
      const res = await this.http.request('GET', `${prPath(pr)}/activities?start=${start}&limit=${PAGE_LIMIT}`)
      const values = field(res.body, 'values')
      for (const a of Array.isArray(values) ? values : []) {
        if (field(a, 'action') !== 'COMMENTED') continue
        const comment = field(a, 'comment')
        const text = str(field(comment, 'text'))
        if (text && forms.some((f) => text.includes(f))) return { id: String(field(comment, 'id')) }
      }
      const next = field(res.body, 'nextPageStart')
      start = field(res.body, 'isLastPage') === false && typeof next === 'number' ? next : null
    }
    return null
  }

  async createComment(pr: PullRequestRef, body: string): Promise<HostAnswer> {
    const res = await this.http.request('POST', `${prPath(pr)}/comments`, { text: hideMarkersForBitbucket(body) })
    return this.commentAnswer(pr, res)
  }

  /** An update names the version it replaces (optimistic locking): read it first, once more on a 409. */
  async updateComment(pr: PullRequestRef, commentId: string, body: string): Promise<HostAnswer> {
    const path = `${prPath(pr)}/comments/${encodeURIComponent(commentId)}`
    for (let attempt = 0; ; attempt++) {
      const current = await this.http.request('GET', path)
      const version = field(current.body, 'version')
      const res = await this.http.request('PUT', path, { text: hideMarkersForBitbucket(body), version }, [409])
      if (res.status !== 409) return this.commentAnswer(pr, res)
      // Someone edited it between our read and write; a later attempt reads the new version.
      if (attempt === 1) throw this.http.failure(`${this.http.refused(res).message} (twice)`, 409, true)
    }
  }

  private commentAnswer(pr: PullRequestRef, res: HostResponse): HostAnswer {
    const id = str(field(res.body, 'id'))
    const [project, slug] = splitRepository(pr.repository)
    const url = id
      ? `${this.webRoot}/projects/${encodeURIComponent(project)}/repos/${encodeURIComponent(slug)}` +
        `/pull-requests/${pr.number}/overview?commentId=${id}`
      : null
    return { status: res.status, id, url }
  }
}

function splitRepository(repository: string): [string, string] {
  const at = repository.indexOf('/')
  return at < 0 ? [repository, ''] : [repository.slice(0, at), repository.slice(at + 1)]
}

/** `PROJECT/slug` → `/rest/api/latest/projects/PROJECT/repos/slug`. */
function repoPath(repository: string): string {
  const [project, slug] = splitRepository(repository)
  return `/rest/api/latest/projects/${encodeURIComponent(project)}/repos/${encodeURIComponent(slug)}`
}

function prPath(pr: PullRequestRef): string {
  return `${repoPath(pr.repository)}/pull-requests/${pr.number}`
}

function errorsOf(body: unknown): unknown[] {
  const errors = field(body, 'errors')
  return Array.isArray(errors) ? errors : []
}

/** `{"errors": [{"context": null, "message": "…", "exceptionName": "…"}]}`. */
function serverErrorText(body: unknown): string | null {
  const messages = errorsOf(body)
    .map((e) => str(field(e, 'message')))
    .filter((m): m is string => !!m)
  return messages.length ? messages.join('; ') : null
}

/** A NoSuchRepository/Project/CommitException: the thing is gone, not the resource. */
function namesMissingThing(res: HostResponse): boolean {
  return errorsOf(res.body).some((e) => /NoSuch\w*Exception/.test(str(field(e, 'exceptionName')) ?? ''))
}

/** The client of one `reporting.hosts` entry of provider `bitbucket-server` (apiUrl required: its base URL). */
export function bitbucketServerClientFor(entry: ReportingHostConfig, s: HostClientSettings): HostClient {
  if (!entry.token || !entry.apiUrl) return notConfiguredClient('bitbucket-server')
  return new BitbucketServerClient({
    apiUrl: entry.apiUrl,
    token: entry.token,
    timeoutMs: s.timeoutMs,
    credentialName: `reporting.hosts.${s.index}`,
    fallbackUrl: s.publicUrl || null,
  })
}
