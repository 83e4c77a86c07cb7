// A GitLab stand-in for the outbound client: the commit status and merge-request notes endpoints
// of REST v4, checked against the documented request shape and answering as GitLab does. The facts
// it relies on, with sources, are in gitlab-facts.md beside it.
import {
  SHA,
  StandIn,
  Violation,
  enumField,
  expect,
  objectBody,
  onlyFields,
  stringField,
  type Answer,
  type Recorded,
} from './stand-in.js'

export const GITLAB_STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'] as const
const STATUS_FIELDS = ['state', 'ref', 'name', 'context', 'target_url', 'description', 'coverage', 'pipeline_id']
/** The state machine's event for each state, as GitLab names it in "Cannot transition status via :…". */
const EVENT: Record<string, string> = {
  pending: 'enqueue',
  running: 'run',
  success: 'success',
  failed: 'drop',
  canceled: 'cancel',
  skipped: 'skip',
}

export interface GitLabNote {
  id: number
  body: string
  system: boolean
}

export class GitLabStandIn extends StandIn {
  /** Projects by full path; a project missing here answers 404 ("repository gone"). */
  readonly projects = new Map<string, { readOnly: boolean; mergeRequests: Map<number, GitLabNote[]> }>()
  /** The statuses as GitLab keeps them: one per project, sha and name. */
  readonly statuses = new Map<string, { id: number; status: string; description: string; target_url: string | null }>()
  private nextId = 1000

  readonly token: string
  readonly root: string

  constructor(
    token: string,
    /** A self-managed GitLab under a relative URL root (`/gitlab`): its API is `<root>/api/v4`. */
    root = '',
  ) {
    super(
      (r) => this.route(r),
      (message) => ({ status: 400, body: { error: message } }),
    )
    this.token = token
    this.root = root
  }

  get apiUrl(): string {
    return `${this.url}${this.root}/api/v4`
  }

  addProject(path: string, o: { readOnly?: boolean; mergeRequests?: number[] } = {}): void {
    this.projects.set(path, {
      readOnly: o.readOnly ?? false,
      mergeRequests: new Map((o.mergeRequests ?? []).map((iid) => [iid, []])),
    })
  }

  /** Merge requests' state, commits and pipelines (newest last), by project and iid. */
  readonly mergeRequestInfo = new Map<
    string,
    { state: 'opened' | 'closed' | 'merged'; commits: string[]; pipelines: { id: number; sha: string }[] }
  >()

  /** A merge request with commits and pipelines, as GitLab's MR pipelines list them. */
  describeMergeRequest(
    path: string,
    iid: number,
    info: { state: 'opened' | 'closed' | 'merged'; commits: string[]; pipelines: { id: number; sha: string }[] },
  ): void {
    this.projects.get(path)!.mergeRequests.set(iid, [])
    this.mergeRequestInfo.set(`${path}!${iid}`, info)
  }

  /** Puts notes on a merge request directly (as other people would have written them). */
  seedNotes(path: string, iid: number, bodies: string[], system = false): GitLabNote[] {
    const notes = this.projects.get(path)!.mergeRequests.get(iid)!
    const added = bodies.map((body) => ({ id: this.nextId++, body, system }))
    notes.push(...added)
    return added
  }

  notes(path: string, iid: number): GitLabNote[] {
    return this.projects.get(path)!.mergeRequests.get(iid)!
  }

  /** GitLab's own answer for an error status: `{"message": "…"}`, with Retry-After on 429. */
  static error(status: number, message?: string, headers?: Record<string, string>): Answer {
    const text: Record<number, string> = {
      401: '401 Unauthorized',
      403: '403 Forbidden',
      404: '404 Project Not Found',
      429: 'Retry later',
      500: '500 Internal Server Error',
      502: 'GitLab is not responding',
    }
    return { status, body: { message: message ?? text[status] ?? `${status}` }, ...(headers ? { headers } : {}) }
  }

  private route(r: Recorded): Answer {
    const path0 = r.path.startsWith(`${this.root}/`) ? r.path.slice(this.root.length) : ''
    const mrs =
      /^\/api\/v4\/projects\/([^/]+)\/(?:repository\/commits\/([^/]+)\/merge_requests|merge_requests\/(\d+)\/pipelines)$/.exec(
        path0,
      )
    if (mrs) return this.mergeRequestReads(r, decodeURIComponent(mrs[1]!), mrs[2], mrs[3])
    const m = /^\/api\/v4\/projects\/([^/]+)\/(statuses\/([^/]+)|merge_requests\/(\d+)\/notes(?:\/(\d+))?)$/.exec(path0)
    if (!m) throw new Violation(`no such GitLab route`, { status: 404, body: { error: '404 Not Found' } })
    if (r.headers['private-token'] !== this.token) return GitLabStandIn.error(401)
    const path = decodeURIComponent(m[1]!)
    const project = this.projects.get(path)
    if (!project) return GitLabStandIn.error(404)
    if (m[3] !== undefined) {
      expect(r.method === 'POST', `statuses take POST, not ${r.method}`)
      if (project.readOnly) return GitLabStandIn.error(403)
      return this.postStatus(path, decodeURIComponent(m[3]), objectBody(r))
    }
    const notes = project.mergeRequests.get(Number(m[4]))
    if (!notes) return GitLabStandIn.error(404, '404 Not found')
    if (m[5] === undefined && r.method === 'GET') return this.listNotes(r, notes)
    if (m[5] === undefined) {
      expect(r.method === 'POST', `notes take GET or POST, not ${r.method}`)
      if (project.readOnly) return GitLabStandIn.error(403)
      const body = objectBody(r)
      onlyFields(body, ['body', 'created_at', 'internal', 'merge_request_diff_head_sha'])
      stringField(body, 'body', 1_000_000, true)
      const note = { id: this.nextId++, body: body.body as string, system: false }
      notes.push(note)
      return { status: 201, body: noteJson(note) }
    }
    expect(r.method === 'PUT', `a note takes PUT, not ${r.method}`)
    const note = notes.find((n) => n.id === Number(m[5]))
    if (!note) return GitLabStandIn.error(404, '404 Note Not Found')
    const body = objectBody(r)
    onlyFields(body, ['body'])
    stringField(body, 'body', 1_000_000, true)
    note.body = body.body as string
    return { status: 200, body: noteJson(note) }
  }

  /** `GET …/repository/commits/:sha/merge_requests` and `GET …/merge_requests/:iid/pipelines` (newest first). */
  private mergeRequestReads(r: Recorded, path: string, sha: string | undefined, iid: string | undefined): Answer {
    expect(r.method === 'GET', `a read takes GET, not ${r.method}`)
    if (r.headers['private-token'] !== this.token) return GitLabStandIn.error(401)
    if (!this.projects.has(path)) return GitLabStandIn.error(404)
    const infos = [...this.mergeRequestInfo].filter(([k]) => k.startsWith(`${path}!`))
    if (sha !== undefined) {
      return {
        status: 200,
        body: infos
          .filter(([, i]) => i.commits.includes(sha))
          .map(([k, i]) => ({ iid: Number(k.split('!')[1]), state: i.state, sha: i.commits.at(-1) })),
      }
    }
    const info = this.mergeRequestInfo.get(`${path}!${iid}`)
    if (!info) return GitLabStandIn.error(404, '404 Not found')
    return {
      status: 200,
      body: [...info.pipelines]
        .reverse()
        .map((p) => ({ id: p.id, sha: p.sha, ref: `refs/merge-requests/${iid}/head`, status: 'running' })),
    }
  }

  private postStatus(path: string, sha: string, body: Record<string, unknown>): Answer {
    expect(SHA.test(sha), `sha must be a full commit id, got ${sha}`)
    onlyFields(body, STATUS_FIELDS)
    enumField(body, 'state', GITLAB_STATES)
    stringField(body, 'name', Infinity, false)
    stringField(body, 'ref', Infinity, false)
    stringField(body, 'description', 255, false)
    stringField(body, 'target_url', 255, false)
    expect(!(body.ref as string | undefined)?.startsWith('refs/'), 'ref is a branch or tag name, not refs/…')
    if (body.pipeline_id !== undefined) expect(Number.isInteger(body.pipeline_id), 'pipeline_id must be an integer')
    const name = (body.name ?? body.context ?? 'default') as string
    const key = `${path}@${sha}#${name}`
    const state = body.state as string
    const before = this.statuses.get(key)
    if (before?.status === state) {
      return {
        status: 400,
        body: {
          message: `Cannot transition status via :${EVENT[state]} from :${state} (Reasons(s): Status cannot transition via "${EVENT[state]}".)`,
        },
      }
    }
    const status = {
      id: before?.id ?? this.nextId++,
      status: state,
      description: (body.description as string | undefined) ?? '',
      target_url: (body.target_url as string | undefined) ?? null,
    }
    this.statuses.set(key, status)
    return {
      status: 201,
      body: { ...status, sha, ref: body.ref ?? null, name, allow_failure: false, created_at: new Date().toISOString() },
    }
  }

  /** Offset pagination: `page`/`per_page` (≤ 100), X-Next-Page empty on the last page. */
  private listNotes(r: Recorded, notes: GitLabNote[]): Answer {
    const sort = r.query.get('sort') ?? 'desc'
    const orderBy = r.query.get('order_by') ?? 'created_at'
    expect(['asc', 'desc'].includes(sort), `sort must be asc or desc, got ${sort}`)
    expect(['created_at', 'updated_at'].includes(orderBy), `order_by must be created_at or updated_at`)
    const perPage = Math.min(Number(r.query.get('per_page') ?? 20), 100)
    const page = Number(r.query.get('page') ?? 1)
    expect(Number.isInteger(page) && page >= 1, `page must be a positive integer`)
    const ordered = sort === 'asc' ? notes : [...notes].reverse()
    const totalPages = Math.max(1, Math.ceil(notes.length / perPage))
    return {
      status: 200,
      headers: {
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-total': String(notes.length),
        'x-total-pages': String(totalPages),
        'x-next-page': page < totalPages ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
      },
      body: ordered.slice((page - 1) * perPage, page * perPage).map(noteJson),
    }
  }
}

function noteJson(n: GitLabNote): Record<string, unknown> {
  return { id: n.id, type: null, body: n.body, system: n.system, noteable_type: 'MergeRequest', resolvable: false }
}
