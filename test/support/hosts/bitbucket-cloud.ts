// A Bitbucket Cloud stand-in for the outbound client: REST 2.0's commit build statuses and
// pull-request comments, checked against the documented request shape and answering as Bitbucket
// Cloud does. The facts it relies on, with sources, are in bitbucket-cloud-facts.md beside it.
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

export const CLOUD_STATES = ['INPROGRESS', 'SUCCESSFUL', 'FAILED', 'STOPPED'] as const
/** The commitstatus object's writable fields. */
const STATUS_FIELDS = ['key', 'state', 'url', 'name', 'description', 'refname', 'type']

export interface CloudComment {
  id: number
  raw: string
  deleted: boolean
}

export class BitbucketCloudStandIn extends StandIn {
  /** Repositories by `workspace/slug`; one missing here answers 404 ("repository gone"). */
  readonly repositories = new Map<string, { readOnly: boolean; pullRequests: Map<number, CloudComment[]> }>()
  /** Statuses by repository, commit and key: a second POST with a key overwrites. */
  readonly statuses = new Map<string, Record<string, unknown>>()
  private nextId = 5000

  /** `user:password` for Basic, or a token for Bearer. */
  private readonly accepts: { basic?: string; bearer?: string }

  constructor(accepts: { basic?: string; bearer?: string }) {
    super(
      (r) => this.route(r),
      (message) => BitbucketCloudStandIn.error(400, message),
    )
    this.accepts = accepts
  }

  get apiUrl(): string {
    return `${this.url}/2.0`
  }

  addRepository(name: string, o: { readOnly?: boolean; pullRequests?: number[] } = {}): void {
    this.repositories.set(name, {
      readOnly: o.readOnly ?? false,
      pullRequests: new Map((o.pullRequests ?? []).map((id) => [id, []])),
    })
  }

  seedComments(name: string, pr: number, raws: string[], deleted = false): CloudComment[] {
    const list = this.comments(name, pr)
    const added = raws.map((raw) => ({ id: this.nextId++, raw, deleted }))
    list.push(...added)
    return added
  }

  comments(name: string, pr: number): CloudComment[] {
    return this.repositories.get(name)!.pullRequests.get(pr)!
  }

  /** Bitbucket Cloud's error body: `{"type": "error", "error": {"message": "…"}}`. */
  static error(status: number, message?: string, headers?: Record<string, string>): Answer {
    const text: Record<number, string> = {
      401: 'Unauthorized',
      403: 'Your credentials lack one or more required privilege scopes.',
      404: 'Repository not found',
      429: 'Rate limit for this resource has been exceeded',
      500: 'Something went wrong',
    }
    const body = { type: 'error', error: { message: message ?? text[status] ?? `${status}` } }
    return { status, body, ...(headers ? { headers } : {}) }
  }

  private authorized(r: Recorded): boolean {
    const auth = r.headers.authorization ?? ''
    if (this.accepts.basic && auth === `Basic ${Buffer.from(this.accepts.basic).toString('base64')}`) return true
    return !!this.accepts.bearer && auth === `Bearer ${this.accepts.bearer}`
  }

  private route(r: Recorded): Answer {
    const m =
      /^\/2\.0\/repositories\/([^/]+)\/([^/]+)\/(?:commit\/([^/]+)\/statuses\/build\/?|pullrequests\/(\d+)\/comments(?:\/(\d+))?\/?)$/.exec(
        r.path,
      )
    if (!m) throw new Violation('no such Bitbucket Cloud route', BitbucketCloudStandIn.error(404, 'Resource not found'))
    if (!this.authorized(r)) return BitbucketCloudStandIn.error(401)
    const name = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`
    const repo = this.repositories.get(name)
    if (!repo) return BitbucketCloudStandIn.error(404, `Repository ${name} not found`)
    if (m[3] !== undefined) {
      expect(r.method === 'POST', `build statuses take POST, not ${r.method}`)
      if (repo.readOnly) return BitbucketCloudStandIn.error(403)
      return this.postStatus(name, m[3], objectBody(r))
    }
    const list = repo.pullRequests.get(Number(m[4]))
    if (!list) return BitbucketCloudStandIn.error(404, 'No such pull request')
    if (m[5] === undefined && r.method === 'GET') return this.listComments(r, list)
    if (r.method !== 'GET' && repo.readOnly) return BitbucketCloudStandIn.error(403)
    if (m[5] === undefined) {
      expect(r.method === 'POST', `comments take GET or POST, not ${r.method}`)
      const comment = { id: this.nextId++, raw: contentRaw(r), deleted: false }
      list.push(comment)
      return { status: 201, body: this.commentJson(name, Number(m[4]), comment) }
    }
    expect(r.method === 'PUT', `a comment takes PUT, not ${r.method}`)
    const comment = list.find((c) => c.id === Number(m[5]))
    if (!comment) return BitbucketCloudStandIn.error(404, 'No such comment')
    comment.raw = contentRaw(r)
    return { status: 200, body: this.commentJson(name, Number(m[4]), comment) }
  }

  private postStatus(name: string, sha: string, body: Record<string, unknown>): Answer {
    expect(SHA.test(sha), `commit must be a full commit id, got ${sha}`)
    onlyFields(body, STATUS_FIELDS)
    stringField(body, 'key', 255, true)
    enumField(body, 'state', CLOUD_STATES)
    stringField(body, 'url', 2048, true)
    stringField(body, 'name', 255, false)
    stringField(body, 'description', 255, false)
    stringField(body, 'refname', 255, false)
    expect(!(body.refname as string | undefined)?.startsWith('refs/'), 'refname is a branch name, not refs/…')
    const id = `${name}@${sha}#${body.key as string}`
    const existed = this.statuses.has(id)
    const stored = { ...body, type: 'build', uuid: `{${this.nextId++}-0000}`, commit: sha }
    this.statuses.set(id, stored)
    return { status: existed ? 200 : 201, body: stored }
  }

  /** Page-numbered: `pagelen` (≤ 100) and `page`; `next` is a full URL, absent on the last page. */
  private listComments(r: Recorded, list: CloudComment[]): Answer {
    const pagelen = Math.min(Number(r.query.get('pagelen') ?? 10), 100)
    const page = Number(r.query.get('page') ?? 1)
    expect(Number.isInteger(page) && page >= 1, 'page must be a positive integer')
    const values = list.slice((page - 1) * pagelen, page * pagelen)
    const more = page * pagelen < list.length
    const next = new URL(`${this.url}${r.path}`)
    next.searchParams.set('pagelen', String(pagelen))
    next.searchParams.set('page', String(page + 1))
    const [name, pr] = [r.path.split('/').slice(3, 5).map(decodeURIComponent).join('/'), Number(r.path.split('/')[6])]
    return {
      status: 200,
      body: {
        pagelen,
        page,
        size: list.length,
        values: values.map((c) => this.commentJson(name, pr, c)),
        ...(more ? { next: next.toString() } : {}),
      },
    }
  }

  private commentJson(name: string, pr: number, c: CloudComment): Record<string, unknown> {
    return {
      type: 'pullrequest_comment',
      id: c.id,
      deleted: c.deleted,
      content: { type: 'rendered', raw: c.raw, markup: 'markdown', html: '' },
      links: { html: { href: `https://bitbucket.org/${name}/pull-requests/${pr}/_/diff#comment-${c.id}` } },
    }
  }
}

/** A comment's body: `{"content": {"raw": "…"}}`. */
function contentRaw(r: Recorded): string {
  const body = objectBody(r)
  onlyFields(body, ['content', 'parent', 'inline', 'type'])
  const content = body.content
  expect(content !== null && typeof content === 'object', '"content" is required (an object)')
  const c = content as Record<string, unknown>
  onlyFields(c, ['raw', 'markup'])
  stringField(c, 'raw', 32_768, true)
  return c.raw as string
}
