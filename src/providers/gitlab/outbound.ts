// GitLab's outbound client: commit statuses (`POST /projects/:id/statuses/:sha`) and one living
// merge-request note. gitlab.com or self-managed (any apiUrl ending in /api/v4), PRIVATE-TOKEN auth.
// REST over fetch rather than @gitbeaker/rest: its request handler retries 429/502 ten times within
// ~0.3 s ignoring Retry-After, and its errors carry the Request (with the token header) as `cause`.
// Facts relied on, with sources: test/support/hosts/gitlab-facts.md.
import type { ReportingHostConfig } from '../../config/schema.js'
import { createHostHttp, field, shortRef, str, type HostClientSettings, type HostHttp } from '../outbound-http.js'
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

export interface GitLabClientOptions {
  /** `https://gitlab.com/api/v4`, or a self-managed `https://git.example.com[/prefix]/api/v4`. */
  apiUrl: string
  /** A personal, project or group access token (scope `api`). */
  token: string
  timeoutMs: number
  /** Where the credential is configured (`reporting.hosts.2`), named when the host refuses it. */
  credentialName?: string | null
}

/** GitLab's commit status vocabulary (the `state` enum of the commit status API). */
const STATES: Record<CommitState, string> = {
  pending: 'pending',
  running: 'running',
  success: 'success',
  failure: 'failed',
  error: 'failed',
  cancelled: 'canceled',
}

/** The API's documented limit for `description` (and `target_url`). */
export const GITLAB_FIELD_MAX = 255
const PER_PAGE = 100
/** 100 pages of 100 notes: a merge request with more is not worth reading to the end. */
const MAX_PAGES = 100

export class GitLabClient implements HostClient {
  readonly provider = 'gitlab' as const
  readonly configured = true
  readonly commentLimit = COMMENT_LIMITS.gitlab
  private readonly http: HostHttp
  /** The web root (apiUrl without /api/v4), for links to notes. */
  private readonly webRoot: string

  constructor(o: GitLabClientOptions) {
    this.http = createHostHttp({
      apiUrl: o.apiUrl,
      timeoutMs: o.timeoutMs,
      credentialName: o.credentialName ?? null,
      auth: { 'private-token': o.token },
      secrets: [o.token],
      hostName: 'GitLab',
      errorText: gitlabErrorText,
    })
    this.webRoot = o.apiUrl.replace(/\/+$/, '').replace(/\/api\/v4$/, '')
  }

  async setStatus(s: CommitStatus): Promise<HostAnswer> {
    const state = STATES[s.state]
    const description = cutDescription(s.description, GITLAB_FIELD_MAX)
    const body: Record<string, unknown> = { state, name: s.context, description }
    // GitLab refuses the whole status for a target_url past 255 characters: post it without the link.
    if (s.targetUrl && s.targetUrl.length <= GITLAB_FIELD_MAX) body.target_url = s.targetUrl
    if (s.ref) body.ref = shortRef(s.ref)
    if (s.pipelineId != null) body.pipeline_id = s.pipelineId
    try {
      const res = await this.http.request(
        'POST',
        `${project(s.repository)}/statuses/${encodeURIComponent(s.sha)}`,
        body,
      )
      return { status: res.status, id: str(field(res.body, 'id')), url: str(field(res.body, 'target_url')) }
    } catch (err) {
      // GitLab refuses a state the status already has ("Cannot transition status via :run from
      // :running"): a repeat of what was posted (a retry after a lost answer) is done, not dead.
      if (alreadyInState(err, state)) return { status: 400, id: null, url: null }
      throw err
    }
  }

  /**
   * The pipeline of the open merge request this commit belongs to, for `CommitStatus.pipelineId`
   * (a status posted with only the branch as ref lands on a branch pipeline, not the MR's); null
   * when the commit is in no open merge request or its MR has no pipeline for this commit.
   */
  async mergeRequestPipelineId(repository: string, sha: string): Promise<number | null> {
    const res = await this.http.request(
      'GET',
      `${project(repository)}/repository/commits/${encodeURIComponent(sha)}/merge_requests`,
    )
    const open = (Array.isArray(res.body) ? res.body : []).filter((mr) => field(mr, 'state') === 'opened')
    for (const mr of open) {
      const pipelines = await this.http.request(
        'GET',
        `${project(repository)}/merge_requests/${Number(field(mr, 'iid'))}/pipelines`,
      )
      const list = Array.isArray(pipelines.body) ? pipelines.body : []
      // Newest first: the latest pipeline run for this very commit.
      const hit = list.find((p) => field(p, 'sha') === sha)
      if (hit && typeof field(hit, 'id') === 'number') return field(hit, 'id') as number
    }
    return null
  }

  async findComment(pr: PullRequestRef, marker: string): Promise<{ id: string } | null> {
    let page: string | null = '1'
    for (let n = 0; page && n < MAX_PAGES; n++) {
      const res = await this.http.request(
        'GET',
        `${notes(pr)}?sort=asc&order_by=created_at&per_page=${PER_PAGE}&page=${encodeURIComponent(page)}`,
      )
      const list = Array.isArray(res.body) ? res.body : []
      for (const note of list) {
        const body = str(field(note, 'body'))
        if (field(note, 'system') !== true && body?.includes(marker)) return { id: String(field(note, 'id')) }
      }
      // X-Next-Page is empty on the last page; past 10,000 items GitLab may leave the totals out,
      // but a full page still means there may be another.
      const next = res.headers.get('x-next-page')
      page = next !== null ? next || null : list.length === PER_PAGE ? String(n + 2) : null
    }
    return null
  }

  async createComment(pr: PullRequestRef, body: string): Promise<HostAnswer> {
    const res = await this.http.request('POST', notes(pr), { body })
    return this.noteAnswer(pr, res.status, res.body)
  }

  async updateComment(pr: PullRequestRef, commentId: string, body: string): Promise<HostAnswer> {
    const res = await this.http.request('PUT', `${notes(pr)}/${encodeURIComponent(commentId)}`, { body })
    return this.noteAnswer(pr, res.status, res.body)
  }

  private noteAnswer(pr: PullRequestRef, status: number, body: unknown): HostAnswer {
    const id = str(field(body, 'id'))
    const url = id ? `${this.webRoot}/${pr.repository}/-/merge_requests/${pr.number}#note_${id}` : null
    return { status, id, url }
  }
}

/** A project is addressed by its URL-encoded full path (`group%2Fsub%2Fname`). */
function project(repository: string): string {
  return `/projects/${encodeURIComponent(repository)}`
}

function notes(pr: PullRequestRef): string {
  return `${project(pr.repository)}/merge_requests/${pr.number}/notes`
}

/** `{"message": "404 Project Not Found"}`, `{"message": {"state": […]}}` or `{"error": "…"}`. */
function gitlabErrorText(body: unknown): string | null {
  const message = field(body, 'message')
  if (typeof message === 'string') return message
  if (message !== undefined && message !== null) return JSON.stringify(message).slice(0, 300)
  return str(field(body, 'error'))
}

function alreadyInState(err: unknown, state: string): boolean {
  const e = err as { status?: unknown; message?: unknown }
  if (e.status !== 400 || typeof e.message !== 'string') return false
  const m = /Cannot transition status via :\w+ from :(\w+)/.exec(e.message)
  return m?.[1] === state
}

/** The client of one `reporting.hosts` entry of provider `gitlab` (apiUrl defaults to gitlab.com's). */
export function gitlabClientFor(entry: ReportingHostConfig, s: HostClientSettings): HostClient {
  if (!entry.token) return notConfiguredClient('gitlab')
  return new GitLabClient({
    apiUrl: apiRoot(entry.apiUrl ?? 'https://gitlab.com/api/v4'),
    token: entry.token,
    timeoutMs: s.timeoutMs,
    credentialName: `reporting.hosts.${s.index}`,
  })
}

/** GitLab's REST API always lives at `<root>/api/v4`: a base URL given without it gets it. */
function apiRoot(url: string): string {
  const u = url.replace(/\/+$/, '')
  return /\/api\/v4$/.test(u) ? u : `${u}/api/v4`
}
