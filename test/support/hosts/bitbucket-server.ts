// A Bitbucket Server / Data Center stand-in for the outbound client: the repository builds
// resource (7.4+) or, as an older server, only the legacy build-status 1.0 one; pull-request
// comments (create, read, update with optimistic locking) and activities. Checked against the
// documented request shapes; facts with sources in bitbucket-server-facts.md beside it.
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

export const BUILDS_STATES = ['SUCCESSFUL', 'FAILED', 'INPROGRESS', 'CANCELLED', 'UNKNOWN'] as const
export const LEGACY_STATES = ['SUCCESSFUL', 'FAILED', 'INPROGRESS'] as const
const BUILDS_FIELDS = [
  'key',
  'state',
  'url',
  'buildNumber',
  'description',
  'duration',
  'lastUpdated',
  'name',
  'parent',
  'ref',
  'testResults',
]
const LEGACY_FIELDS = ['state', 'key', 'name', 'url', 'description']

export interface ServerComment {
  id: number
  version: number
  text: string
}

export class BitbucketServerStandIn extends StandIn {
  /** Repositories by `PROJECT/slug`; a missing one answers 404 NoSuchRepositoryException. */
  readonly repositories = new Map<string, { readOnly: boolean; pullRequests: Map<number, ServerComment[]> }>()
  /** Statuses as posted, by commit and key, with the resource they came through. */
  readonly statuses = new Map<string, { via: 'builds' | 'legacy'; body: Record<string, unknown> }>()
  private nextId = 9000

  private readonly token: string
  readonly version: 'current' | 'legacy'

  constructor(
    token: string,
    /** `legacy`: a server before 7.4, without the repository builds resource. */
    version: 'current' | 'legacy' = 'current',
  ) {
    super(
      (r) => this.route(r),
      (message) => BitbucketServerStandIn.error(400, message),
    )
    this.token = token
    this.version = version
  }

  addRepository(name: string, o: { readOnly?: boolean; pullRequests?: number[] } = {}): void {
    this.repositories.set(name, {
      readOnly: o.readOnly ?? false,
      pullRequests: new Map((o.pullRequests ?? []).map((id) => [id, []])),
    })
  }

  seedComments(name: string, pr: number, texts: string[]): ServerComment[] {
    const added = texts.map((text) => ({ id: this.nextId++, version: 0, text }))
    this.comments(name, pr).push(...added)
    return added
  }

  comments(name: string, pr: number): ServerComment[] {
    return this.repositories.get(name)!.pullRequests.get(pr)!
  }

  /** `{"errors": [{"context": null, "message": "…", "exceptionName": "…"}]}`. */
  static error(
    status: number,
    message?: string,
    exceptionName: string | null = null,
    headers?: Record<string, string>,
  ) {
    const text: Record<number, string> = {
      401: 'Authentication failed. Please check your credentials and try again.',
      403: 'You are not permitted to access this resource',
      429: 'Too many requests',
      500: 'An unexpected error occurred',
    }
    const body = { errors: [{ context: null, message: message ?? text[status] ?? `${status}`, exceptionName }] }
    return { status, body, ...(headers ? { headers } : {}) } satisfies Answer
  }

  private route(r: Recorded): Answer {
    if (r.headers.authorization !== `Bearer ${this.token}`)
      return BitbucketServerStandIn.error(401, undefined, 'com.atlassian.bitbucket.AuthorisationException')
    const legacy = /^\/rest\/build-status\/1\.0\/commits\/([^/]+)$/.exec(r.path)
    if (legacy) return this.postLegacy(r, legacy[1]!)
    const m =
      /^\/rest\/api\/latest\/projects\/([^/]+)\/repos\/([^/]+)\/(?:commits\/([^/]+)\/builds|pull-requests\/(\d+)\/(activities|comments)(?:\/(\d+))?)$/.exec(
        r.path,
      )
    if (!m) throw new Violation('no such Bitbucket Server route', notFoundPage())
    if (m[3] !== undefined && this.version === 'legacy') return notFoundPage()
    const name = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`
    const repo = this.repositories.get(name)
    if (!repo)
      return BitbucketServerStandIn.error(
        404,
        `Repository ${decodeURIComponent(m[2]!)} does not exist.`,
        'com.atlassian.bitbucket.repository.NoSuchRepositoryException',
      )
    if (r.method !== 'GET' && repo.readOnly) return BitbucketServerStandIn.error(403)
    if (m[3] !== undefined) return this.postBuild(r, name, m[3])
    const list = repo.pullRequests.get(Number(m[4]))
    if (!list)
      return BitbucketServerStandIn.error(
        404,
        `No pull request exists with ID ${m[4]}.`,
        'com.atlassian.bitbucket.pull.NoSuchPullRequestException',
      )
    if (m[5] === 'activities') {
      expect(r.method === 'GET', `activities take GET, not ${r.method}`)
      return this.activities(r, list)
    }
    if (m[6] === undefined) {
      // GET …/comments lists a file's comments (`path` required): general ones come from activities.
      expect(r.method === 'POST', `…/comments takes POST here (GET needs a file path), not ${r.method}`)
      const body = objectBody(r)
      onlyFields(body, ['text', 'parent', 'anchor', 'severity', 'state'])
      stringField(body, 'text', 32_768, true)
      const comment = { id: this.nextId++, version: 0, text: body.text as string }
      list.push(comment)
      return { status: 201, body: commentJson(comment) }
    }
    const comment = list.find((c) => c.id === Number(m[6]))
    if (!comment)
      return BitbucketServerStandIn.error(
        404,
        `Comment ${m[6]} does not exist.`,
        'com.atlassian.bitbucket.comment.NoSuchCommentException',
      )
    if (r.method === 'GET') return { status: 200, body: commentJson(comment) }
    expect(r.method === 'PUT', `a comment takes GET or PUT, not ${r.method}`)
    const body = objectBody(r)
    onlyFields(body, ['text', 'version', 'severity', 'state'])
    stringField(body, 'text', 32_768, true)
    expect(Number.isInteger(body.version), '"version" is required: the version being updated')
    if (body.version !== comment.version) {
      return {
        status: 409,
        body: {
          errors: [
            {
              context: null,
              message: 'You are attempting to modify a comment based on out-of-date information.',
              exceptionName: 'com.atlassian.bitbucket.comment.CommentOutOfDateException',
              currentVersion: comment.version,
              expectedVersion: body.version,
            },
          ],
        },
      }
    }
    comment.text = body.text as string
    comment.version++
    return { status: 200, body: commentJson(comment) }
  }

  /** Someone else edits a comment (its version moves on). */
  editElsewhere(name: string, pr: number, id: number, text: string): void {
    const c = this.comments(name, pr).find((x) => x.id === id)!
    c.text = text
    c.version++
  }

  private postBuild(r: Recorded, name: string, sha: string): Answer {
    expect(r.method === 'POST', `builds take POST here, not ${r.method}`)
    expect(SHA.test(sha), `commitId must be a full commit id, got ${sha}`)
    const body = objectBody(r)
    onlyFields(body, BUILDS_FIELDS)
    stringField(body, 'key', 255, true)
    enumField(body, 'state', BUILDS_STATES)
    stringField(body, 'url', 450, true)
    for (const f of ['name', 'description', 'ref', 'parent', 'buildNumber']) stringField(body, f, 255, false)
    if (body.ref !== undefined) expect((body.ref as string).startsWith('refs/'), 'ref is a full ref (refs/heads/…)')
    this.statuses.set(`${name}@${sha}#${body.key as string}`, { via: 'builds', body })
    return { status: 204 }
  }

  private postLegacy(r: Recorded, sha: string): Answer {
    expect(r.method === 'POST', `build-status 1.0 takes POST here, not ${r.method}`)
    expect(SHA.test(sha), `commitId must be a full commit id, got ${sha}`)
    const body = objectBody(r)
    onlyFields(body, LEGACY_FIELDS)
    stringField(body, 'key', 255, true)
    enumField(body, 'state', LEGACY_STATES)
    stringField(body, 'url', 450, true)
    stringField(body, 'name', 255, false)
    stringField(body, 'description', 255, false)
    this.statuses.set(`${sha}#${body.key as string}`, { via: 'legacy', body })
    return { status: 204 }
  }

  /** Newest first, `start`/`limit` paging; each comment appears as a COMMENTED activity. */
  private activities(r: Recorded, list: ServerComment[]): Answer {
    const start = Number(r.query.get('start') ?? 0)
    const limit = Math.min(Number(r.query.get('limit') ?? 25), 1000)
    expect(Number.isInteger(start) && start >= 0, 'start must be a non-negative integer')
    const all = [...list].reverse().flatMap((c) => [
      { id: c.id * 10, action: 'COMMENTED', commentAction: 'ADDED', comment: commentJson(c) },
      { id: c.id * 10 + 1, action: 'APPROVED' },
    ])
    const values = all.slice(start, start + limit)
    const isLastPage = start + limit >= all.length
    return {
      status: 200,
      body: {
        size: values.length,
        limit,
        start,
        isLastPage,
        values,
        ...(isLastPage ? {} : { nextPageStart: start + limit }),
      },
    }
  }
}

function commentJson(c: ServerComment): Record<string, unknown> {
  return { id: c.id, version: c.version, text: c.text, author: { name: 'tamer' }, comments: [] }
}

/** What a server without a resource answers: its servlet's 404 page, not the REST errors JSON. */
function notFoundPage(): Answer {
  return { status: 404, body: '<html><head><title>404 Not Found</title></head><body>Not Found</body></html>' }
}
