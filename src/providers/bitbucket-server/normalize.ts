// Bitbucket Server / Data Center payloads → neutral events.
// https://confluence.atlassian.com/bitbucketserver089/event-payload-1236435931.html
import { BadPayloadError } from '../../errors.js'
import { ZERO_SHA, type Commit, type Normalized, type PushEvent, type Repository } from '../../events/model.js'
import { eventBase, oneRepository, type IdentifiedDelivery, type NormalizeContext } from '../provider.js'
import { field, list, lookup, num, refFields, text, timestamp } from '../json.js'
import { commitHash, commitId, urlField } from '../revisions.js'

function fullNameOf(repo: unknown): string | null {
  const key = text(repo, 'project', 'key')
  const slug = text(repo, 'slug')
  return key && slug ? `${key}/${slug}` : null
}

/**
 * A pull request's events are about its target (`toRef`), a push's about `repository`; a payload
 * where both are present and differ is refused (issue #9: the secret was picked from one and the
 * event built from the other, so a shared secret could sign another tenant's pull request).
 */
export function bitbucketServerRepositoryName(payload: unknown): string | null {
  return oneRepository(
    ['pullRequest.toRef.repository', fullNameOf(field(payload, 'pullRequest', 'toRef', 'repository'))],
    ['repository', fullNameOf(field(payload, 'repository'))],
  )
}

function cloneHref(repo: unknown, name: string): string | null {
  // `links.clone` lists http and ssh in either order; 2018-era payloads have no links at all.
  return urlField(
    text(
      list(repo, 'links', 'clone').find((c) => text(c, 'name') === name),
      'href',
    ),
  )
}

function repository(repo: unknown): Repository {
  const fullName = fullNameOf(repo)
  if (!fullName) throw new BadPayloadError('repository.project.key and repository.slug are missing')
  return {
    fullName,
    cloneUrl: { https: cloneHref(repo, 'http'), ssh: cloneHref(repo, 'ssh') },
    webUrl: urlField(text(list(repo, 'links', 'self')[0], 'href')),
    defaultBranch: null,
  }
}

function user(value: unknown) {
  return {
    name: text(value, 'displayName') ?? text(value, 'name'),
    email: text(value, 'emailAddress'),
    username: text(value, 'slug') ?? text(value, 'name'),
  }
}

// Only newer Data Center releases send commits (no file lists); DC 10 sends ISO timestamps.
function commit(value: unknown): Commit {
  return {
    id: text(value, 'id') ?? '',
    message: text(value, 'message') ?? '',
    timestamp: timestamp(field(value, 'authorTimestamp')) ?? timestamp(field(value, 'committerTimestamp')),
    url: null,
    author: {
      name: text(value, 'author', 'displayName') ?? text(value, 'author', 'name'),
      email: text(value, 'author', 'emailAddress'),
      username: text(value, 'author', 'slug'),
    },
    added: [],
    modified: [],
    removed: [],
  }
}

const PULL_REQUEST_ACTIONS: Record<string, string> = {
  'pr:opened': 'opened',
  'pr:from_ref_updated': 'updated',
  'pr:reopened': 'reopened',
  'pr:merged': 'merged',
  'pr:declined': 'closed',
  'pr:deleted': 'closed',
}

export function normalizeBitbucketServer(
  payload: unknown,
  delivery: IdentifiedDelivery,
  ctx: NormalizeContext,
): Normalized {
  const base = eventBase('bitbucket-server', delivery, ctx)
  if (delivery.eventType === 'diagnostics:ping') return { kind: 'ping', note: 'Bitbucket Server test connection' }
  if (delivery.eventType === 'repo:refs_changed') {
    const repo = repository(field(payload, 'repository'))
    const changes = list(payload, 'changes')
    if (changes.length === 0) return { kind: 'ignored', reason: 'repo:refs_changed without changes' }
    // commits[] is per delivery, not per change: it can only be attributed when one ref changed.
    const commits = changes.length === 1 ? list(payload, 'commits').map(commit) : []
    const events: PushEvent[] = changes.map((change, i) => {
      const refId = text(change, 'refId') ?? text(change, 'ref', 'id')
      if (!refId) throw new BadPayloadError('changes[].refId is missing')
      const isTag = text(change, 'ref', 'type') === 'TAG' || refId.startsWith('refs/tags/')
      const type = text(change, 'type')
      const before = commitId(text(change, 'fromHash') ?? ZERO_SHA, `changes[${i}].fromHash`)
      const after = commitId(text(change, 'toHash') ?? ZERO_SHA, `changes[${i}].toHash`)
      return {
        ...base(repo),
        kind: 'push',
        ...refFields(refId, isTag, text(change, 'ref', 'displayId') ?? undefined),
        before,
        after,
        created: type === 'ADD' || before === ZERO_SHA,
        deleted: type === 'DELETE' || after === ZERO_SHA,
        forced: null,
        commits,
        totalCommits: commits.length,
        filesKnown: false,
        pusher: user(field(payload, 'actor')),
      }
    })
    return { kind: 'events', events }
  }
  const action = lookup(PULL_REQUEST_ACTIONS, delivery.eventType)
  if (action) {
    const pr = field(payload, 'pullRequest')
    const number = num(pr, 'id')
    const sourceBranch = text(pr, 'fromRef', 'displayId')
    const targetBranch = text(pr, 'toRef', 'displayId')
    if (number === null || !sourceBranch || !targetBranch)
      throw new BadPayloadError('pullRequest needs id, fromRef.displayId and toRef.displayId')
    const repo = repository(field(pr, 'toRef', 'repository'))
    const fromRepo = field(pr, 'fromRef', 'repository')
    return {
      kind: 'events',
      events: [
        {
          ...base(repo),
          kind: 'pull_request',
          action,
          number,
          title: text(pr, 'title') ?? '',
          source: {
            branch: sourceBranch,
            sha: commitHash(text(pr, 'fromRef', 'latestCommit'), 'pullRequest.fromRef.latestCommit'),
            repositoryFullName: fullNameOf(fromRepo),
            cloneUrl: cloneHref(fromRepo, 'http'),
          },
          target: {
            branch: targetBranch,
            sha: commitHash(text(pr, 'toRef', 'latestCommit'), 'pullRequest.toRef.latestCommit'),
          },
          author: user(field(pr, 'author', 'user')),
          url: text(list(pr, 'links', 'self')[0], 'href'),
        },
      ],
    }
  }
  return { kind: 'ignored', reason: `Bitbucket Server event ${delivery.eventType} is not acted on` }
}
