// Bitbucket Cloud payloads → neutral events. One repo:push may carry several ref changes.
// https://support.atlassian.com/bitbucket-cloud/docs/event-payloads/
import { BadPayloadError } from '../../errors.js'
import { ZERO_SHA, type Normalized, type ProviderName, type PushEvent, type Repository } from '../../events/model.js'
import { eventBase, oneRepository, type IdentifiedDelivery, type NormalizeContext } from '../provider.js'
import { bool, field, list, lookup, num, parseRawAuthor, refFields, text } from '../json.js'
import { commitHash, commitId, urlField } from '../revisions.js'

function fullNameOf(repo: unknown): string | null {
  // The "Post Webhooks" add-on on a Server sends a Server-shaped repository (project.key + slug,
  // fullName) inside its Cloud-shaped body (jenkinsci/bitbucket-branch-source-plugin's fixtures).
  const key = text(repo, 'project', 'key')
  const slug = text(repo, 'slug')
  return text(repo, 'full_name') ?? (key && slug ? `${key}/${slug}` : null)
}

/**
 * Events are about the top-level `repository`; a pull request's `destination.repository` (whose
 * branch and commit the event carries) must be the same one, else the payload is refused.
 */
export function bitbucketCloudRepositoryName(payload: unknown): string | null {
  return oneRepository(
    ['repository', fullNameOf(field(payload, 'repository'))],
    ['pullrequest.destination.repository', fullNameOf(field(payload, 'pullrequest', 'destination', 'repository'))],
  )
}

function repository(payload: unknown, derivedHost: string | null): Repository {
  const repo = field(payload, 'repository')
  const fullName = bitbucketCloudRepositoryName(payload)
  if (!fullName) throw new BadPayloadError('repository.full_name is missing')
  const clone = list(repo, 'links', 'clone')
  const cloneHref = (name: string) =>
    urlField(
      text(
        clone.find((c) => text(c, 'name') === name),
        'href',
      ),
    )
  return {
    fullName,
    // Cloud payloads carry only self/html/avatar links; clone URLs follow from the full name.
    cloneUrl: {
      https: cloneHref('https') ?? (derivedHost ? `https://${derivedHost}/${fullName}.git` : null),
      ssh: cloneHref('ssh') ?? (derivedHost ? `git@${derivedHost}:${fullName}.git` : null),
    },
    webUrl: urlField(text(repo, 'links', 'html', 'href')),
    defaultBranch: text(repo, 'mainbranch', 'name'),
  }
}

function actor(payload: unknown) {
  const a = field(payload, 'actor')
  return { name: text(a, 'display_name'), email: null, username: text(a, 'nickname') ?? text(a, 'username') }
}

const PULL_REQUEST_ACTIONS: Record<string, string> = {
  'pullrequest:created': 'opened',
  'pullrequest:updated': 'updated',
  'pullrequest:fulfilled': 'merged',
  'pullrequest:rejected': 'closed',
}

/**
 * `provider` is bitbucket-server for the "Post Webhooks for Bitbucket" add-on, which posts
 * Cloud-shaped bodies from a Server; then no bitbucket.org URLs are made up.
 */
export function normalizeBitbucketCloud(
  payload: unknown,
  delivery: IdentifiedDelivery,
  ctx: NormalizeContext,
  provider: ProviderName = 'bitbucket-cloud',
): Normalized {
  const base = eventBase(provider, delivery, ctx)
  const derivedHost = provider === 'bitbucket-cloud' ? 'bitbucket.org' : null
  if (delivery.eventType === 'repo:push') {
    const repo = repository(payload, derivedHost)
    const changes = list(payload, 'push', 'changes')
    if (changes.length === 0) return { kind: 'ignored', reason: 'repo:push without changes' }
    const events: PushEvent[] = changes.map((change, i) => {
      const next = field(change, 'new')
      const old = field(change, 'old')
      const ref = next ?? old
      const name = text(ref, 'name')
      if (!name) throw new BadPayloadError('push.changes[].new or .old needs a name')
      const isTag = text(ref, 'type') === 'tag' || text(ref, 'type') === 'annotated_tag'
      const commits = list(change, 'commits').map((c) => {
        const author = parseRawAuthor(text(c, 'author', 'raw'))
        return {
          id: text(c, 'hash') ?? '',
          message: text(c, 'message') ?? '',
          timestamp: text(c, 'date'),
          url: text(c, 'links', 'html', 'href'),
          author: {
            name: author.name ?? text(c, 'author', 'user', 'display_name'),
            email: author.email,
            username: text(c, 'author', 'user', 'nickname'),
          },
          added: [],
          modified: [],
          removed: [],
        }
      })
      return {
        ...base(repo),
        kind: 'push',
        // Bitbucket Cloud sends bare names; the model keeps full refs.
        ...refFields(`${isTag ? 'refs/tags/' : 'refs/heads/'}${name}`, isTag),
        before: commitId(text(old, 'target', 'hash') ?? ZERO_SHA, `push.changes[${i}].old.target.hash`),
        after: commitId(text(next, 'target', 'hash') ?? ZERO_SHA, `push.changes[${i}].new.target.hash`),
        created: bool(change, 'created') ?? old === null,
        deleted: bool(change, 'closed') ?? next === null,
        forced: bool(change, 'forced'),
        commits,
        totalCommits: commits.length,
        // Bitbucket sends no per-file lists (and at most 5 commits per change).
        filesKnown: false,
        pusher: actor(payload),
      }
    })
    return { kind: 'events', events }
  }
  const action = lookup(PULL_REQUEST_ACTIONS, delivery.eventType)
  if (action) {
    const pr = field(payload, 'pullrequest')
    const number = num(pr, 'id')
    const sourceBranch = text(pr, 'source', 'branch', 'name')
    const targetBranch = text(pr, 'destination', 'branch', 'name')
    if (number === null || !sourceBranch || !targetBranch)
      throw new BadPayloadError('pullrequest needs id, source.branch.name and destination.branch.name')
    const repo = repository(payload, derivedHost)
    const sourceRepo = text(pr, 'source', 'repository', 'full_name')
    return {
      kind: 'events',
      events: [
        {
          ...base(repo),
          kind: 'pull_request',
          action,
          number,
          title: text(pr, 'title') ?? '',
          // Bitbucket Cloud abbreviates these hashes to 12 characters.
          source: {
            branch: sourceBranch,
            sha: commitHash(text(pr, 'source', 'commit', 'hash'), 'pullrequest.source.commit.hash'),
            repositoryFullName: sourceRepo,
            cloneUrl: sourceRepo && derivedHost ? `https://${derivedHost}/${sourceRepo}.git` : null,
          },
          target: {
            branch: targetBranch,
            sha: commitHash(text(pr, 'destination', 'commit', 'hash'), 'pullrequest.destination.commit.hash'),
          },
          author: {
            name: text(pr, 'author', 'display_name'),
            email: null,
            username: text(pr, 'author', 'nickname') ?? text(pr, 'author', 'username'),
          },
          url: text(pr, 'links', 'html', 'href'),
        },
      ],
    }
  }
  return { kind: 'ignored', reason: `Bitbucket Cloud event ${delivery.eventType} is not acted on` }
}
