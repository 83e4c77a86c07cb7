// The payload fields Tamer reads from each host, for /openapi.json: documentation of what the
// normalizers use (src/providers/*/normalize.ts), never validation (the body stays the signed
// bytes; a payload of the wrong shape is 400 TAMER_BAD_PAYLOAD from the normalizer).
import type { WebhookProvider } from '../providers/provider.js'

const s = { type: 'string' } as const
const b = { type: 'boolean' } as const
const i = { type: 'integer' } as const
const obj = (properties: Record<string, object>) => ({ type: 'object', properties }) as const
const list = (items: object) => ({ type: 'array', items }) as const
const strings = list(s)
/** before/after of a push: full commit ids (src/providers/revisions.ts); others are refused. */
const commitId = { type: 'string', pattern: '^([0-9a-f]{40}|[0-9a-f]{64})$' } as const
/** A pull request's head or base: hex, abbreviated by Bitbucket Cloud. */
const sha = { type: 'string', pattern: '^[0-9a-f]{7,64}$' } as const

const githubCommit = obj({
  id: s,
  message: s,
  timestamp: s,
  url: s,
  author: obj({ name: s, email: s, username: s }),
  added: strings,
  modified: strings,
  removed: strings,
})
const github = obj({
  ref: s,
  before: commitId,
  after: commitId,
  created: b,
  deleted: b,
  forced: b,
  repository: obj({
    full_name: s,
    name: s,
    owner: obj({ login: s, name: s }),
    clone_url: s,
    ssh_url: s,
    html_url: s,
    default_branch: s,
  }),
  commits: list(githubCommit),
  pusher: obj({ name: s, email: s }),
  sender: obj({ login: s }),
  action: s,
  number: i,
  pull_request: obj({
    number: i,
    title: s,
    merged: b,
    html_url: s,
    user: obj({ login: s }),
    head: obj({ ref: s, sha, repo: obj({ full_name: s, clone_url: s }) }),
    base: obj({ ref: s, sha }),
  }),
  zen: s,
})

const gitlabProject = obj({ path_with_namespace: s, git_http_url: s, git_ssh_url: s, web_url: s, default_branch: s })
const gitlab = obj({
  object_kind: s,
  event_name: s,
  ref: s,
  before: commitId,
  after: commitId,
  project: gitlabProject,
  repository: obj({ homepage: s, git_http_url: s, git_ssh_url: s }),
  commits: list(
    obj({
      id: s,
      message: s,
      timestamp: s,
      url: s,
      author: obj({ name: s, email: s }),
      added: strings,
      modified: strings,
      removed: strings,
    }),
  ),
  total_commits_count: i,
  user_name: s,
  user_email: s,
  user_username: s,
  user: obj({ name: s, username: s, email: s }),
  object_attributes: obj({
    action: s,
    state: s,
    iid: i,
    title: s,
    url: s,
    source_branch: s,
    target_branch: s,
    last_commit: obj({ id: sha }),
    source: gitlabProject,
    target: gitlabProject,
  }),
})

const cloudRef = obj({ name: s, type: s, target: obj({ hash: commitId }) })
const cloudSide = obj({ branch: obj({ name: s }), commit: obj({ hash: sha }), repository: obj({ full_name: s }) })
const serverRepository = obj({
  slug: s,
  project: obj({ key: s }),
  links: obj({ clone: list(obj({ name: s, href: s })), self: list(obj({ href: s })) }),
})
const serverUser = obj({ name: s, displayName: s, emailAddress: s, slug: s })
const serverRef = obj({ id: s, displayId: s, latestCommit: sha, repository: serverRepository })
const bitbucket = obj({
  // Bitbucket Cloud
  repository: obj({
    full_name: s,
    slug: s,
    project: obj({ key: s }),
    links: obj({ html: obj({ href: s }), clone: list(obj({ name: s, href: s })) }),
    mainbranch: obj({ name: s }),
  }),
  push: obj({
    changes: list(
      obj({
        new: cloudRef,
        old: cloudRef,
        created: b,
        closed: b,
        forced: b,
        commits: list(obj({ hash: s, message: s, date: s, author: obj({ raw: s }) })),
      }),
    ),
  }),
  actor: obj({ display_name: s, nickname: s, name: s, displayName: s, emailAddress: s, slug: s }),
  pullrequest: obj({
    id: i,
    title: s,
    source: cloudSide,
    destination: cloudSide,
    author: obj({ display_name: s, nickname: s }),
    links: obj({ html: obj({ href: s }) }),
  }),
  // Bitbucket Server / Data Center
  eventKey: s,
  changes: list(
    obj({ refId: s, ref: obj({ id: s, displayId: s, type: s }), fromHash: commitId, toHash: commitId, type: s }),
  ),
  commits: list(obj({ id: s, message: s, authorTimestamp: { type: 'number' }, author: serverUser })),
  pullRequest: obj({
    id: i,
    title: s,
    fromRef: serverRef,
    toRef: serverRef,
    author: obj({ user: serverUser }),
    links: obj({ self: list(obj({ href: s })) }),
  }),
  test: b,
})

/** The body of POST /hooks/<route>: the fields the normalizers read (others are kept, not read). */
export const WEBHOOK_BODIES: Record<WebhookProvider['route'], object> = { github, gitlab, bitbucket }
