// GitLab payloads → neutral events. Project hooks and system hooks (X-Gitlab-Event: System Hook).
import { BadPayloadError } from '../../errors.js'
import { ZERO_SHA, type Commit, type Normalized, type Person, type Repository } from '../../events/model.js'
import { eventBase, type IdentifiedDelivery, type NormalizeContext } from '../provider.js'
import { commitFiles, field, list, lookup, num, refFields, text } from '../json.js'
import { commitHash, commitId, urlField } from '../revisions.js'

/**
 * The project a delivery is about: this one name picks the secret, the tenant and the events'
 * repository. Real merge request deliveries name the same project in `project`, `repository`
 * and `object_attributes.target`, but GitLab's documented examples mix them (corpus:
 * gitlab/merge-request-docs-example.json), so the later fields are fallbacks, not cross-checks.
 */
export function gitlabRepositoryName(payload: unknown): string | null {
  return (
    text(payload, 'project', 'path_with_namespace') ??
    pathFromUrl(text(payload, 'repository', 'homepage')) ??
    pathFromUrl(text(payload, 'object_attributes', 'target', 'web_url'))
  )
}

function pathFromUrl(url: string | null): string | null {
  if (!url) return null
  try {
    const path = new URL(url).pathname.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '')
    return path.length > 0 ? path : null
  } catch {
    return null
  }
}

function repository(payload: unknown): Repository {
  const fullName = gitlabRepositoryName(payload)
  if (!fullName) throw new BadPayloadError('project.path_with_namespace is missing')
  return {
    fullName,
    cloneUrl: {
      https: urlField(text(payload, 'project', 'git_http_url') ?? text(payload, 'repository', 'git_http_url')),
      ssh: urlField(text(payload, 'project', 'git_ssh_url') ?? text(payload, 'repository', 'git_ssh_url')),
    },
    webUrl: urlField(text(payload, 'project', 'web_url') ?? text(payload, 'repository', 'homepage')),
    defaultBranch: text(payload, 'project', 'default_branch'),
  }
}

/** GitLab shows `[REDACTED]` (or nothing) for a user without a public email. */
function email(value: string | null): string | null {
  return value && value.includes('@') ? value : null
}

function commit(value: unknown): Commit & { filesListed: boolean } {
  return {
    id: text(value, 'id') ?? '',
    message: text(value, 'message') ?? '',
    timestamp: text(value, 'timestamp'),
    url: text(value, 'url'),
    author: { name: text(value, 'author', 'name'), email: email(text(value, 'author', 'email')), username: null },
    ...commitFiles(value),
  }
}

const MERGE_REQUEST_ACTIONS: Record<string, string> = {
  open: 'opened',
  update: 'updated',
  reopen: 'reopened',
  close: 'closed',
  merge: 'merged',
}

/** The payload kind: `object_kind` on project hooks, `event_name` on system hooks. */
function payloadKind(payload: unknown): string | null {
  return text(payload, 'object_kind') ?? text(payload, 'event_name')
}

export function normalizeGitLab(payload: unknown, delivery: IdentifiedDelivery, ctx: NormalizeContext): Normalized {
  const base = eventBase('gitlab', delivery, ctx)
  const kind = payloadKind(payload)
  if (kind === 'push' || kind === 'tag_push') {
    const ref = text(payload, 'ref')
    const rawBefore = text(payload, 'before')
    const rawAfter = text(payload, 'after')
    if (!ref || !rawBefore || !rawAfter) throw new BadPayloadError('push needs ref, before and after')
    const [before, after] = [commitId(rawBefore, 'before'), commitId(rawAfter, 'after')]
    const repo = repository(payload)
    const isTag = kind === 'tag_push' || ref.startsWith('refs/tags/')
    const parsed = list(payload, 'commits').map(commit)
    const total = num(payload, 'total_commits_count') ?? parsed.length
    const created = before === ZERO_SHA
    return {
      kind: 'events',
      events: [
        {
          ...base(repo),
          kind: 'push',
          ...refFields(ref, isTag),
          before,
          after,
          created,
          deleted: after === ZERO_SHA,
          forced: null,
          commits: parsed.map(({ filesListed: _, ...c }) => c),
          totalCommits: total,
          // GitLab keeps only the 20 newest commits; system hooks send no file lists.
          filesKnown: total <= parsed.length && parsed.every((c) => c.filesListed) && !created,
          pusher: {
            name: text(payload, 'user_name'),
            email: email(text(payload, 'user_email')),
            username: text(payload, 'user_username'),
          },
        },
      ],
    }
  }
  if (kind === 'merge_request') {
    const mr = field(payload, 'object_attributes')
    const rawAction = text(mr, 'action') ?? (text(mr, 'state') === 'opened' ? 'open' : '')
    const action = lookup(MERGE_REQUEST_ACTIONS, rawAction)
    if (!action) return { kind: 'ignored', reason: `merge request action ${rawAction || '(none)'} is not acted on` }
    const number = num(mr, 'iid')
    const sourceBranch = text(mr, 'source_branch')
    const targetBranch = text(mr, 'target_branch')
    if (number === null || !sourceBranch || !targetBranch)
      throw new BadPayloadError('merge request needs object_attributes.iid, source_branch and target_branch')
    const repo = repository(payload)
    const user = field(payload, 'user')
    const author: Person = {
      name: text(user, 'name'),
      email: email(text(user, 'email')),
      username: text(user, 'username'),
    }
    return {
      kind: 'events',
      events: [
        {
          ...base(repo),
          kind: 'pull_request',
          action,
          number,
          title: text(mr, 'title') ?? '',
          source: {
            branch: sourceBranch,
            sha: commitHash(text(mr, 'last_commit', 'id'), 'object_attributes.last_commit.id'),
            repositoryFullName: text(mr, 'source', 'path_with_namespace'),
            cloneUrl: urlField(text(mr, 'source', 'git_http_url')),
          },
          // GitLab does not send the target branch's head.
          target: { branch: targetBranch, sha: null },
          author,
          url: text(mr, 'url'),
        },
      ],
    }
  }
  return { kind: 'ignored', reason: `GitLab ${delivery.eventType} (${kind ?? 'unknown kind'}) is not acted on` }
}
