// GitHub payloads → neutral events. https://docs.github.com/en/webhooks/webhook-events-and-payloads
import { BadPayloadError } from '../../errors.js'
import { ZERO_SHA, type Commit, type Normalized, type Person, type Repository } from '../../events/model.js'
import { eventBase, oneRepository, type IdentifiedDelivery, type NormalizeContext } from '../provider.js'
import { bool, commitFiles, field, list, lookup, num, refFields, text } from '../json.js'
import { commitHash, commitId, urlField } from '../revisions.js'

/** GitHub cuts `commits[]` at 2,048. */
const MAX_PUSH_COMMITS = 2048

/**
 * Events are about the top-level `repository`; a pull request's `base.repo` (whose branch and
 * commit the event carries) must be the same one, else the payload is refused.
 */
export function githubRepositoryName(payload: unknown): string | null {
  return oneRepository(
    ['repository', text(payload, 'repository', 'full_name') ?? legacyFullName(field(payload, 'repository'))],
    ['pull_request.base.repo', text(payload, 'pull_request', 'base', 'repo', 'full_name')],
  )
}

// 2012-era payloads have no full_name: owner.name + name.
function legacyFullName(repo: unknown): string | null {
  const owner = text(repo, 'owner', 'login') ?? text(repo, 'owner', 'name')
  const name = text(repo, 'name')
  return owner && name ? `${owner}/${name}` : null
}

function repository(payload: unknown): Repository {
  const repo = field(payload, 'repository')
  const fullName = githubRepositoryName(payload)
  if (!fullName) throw new BadPayloadError('repository.full_name is missing')
  const webUrl = urlField(text(repo, 'html_url') ?? text(repo, 'url'))
  return {
    fullName,
    // 2012-era payloads have no clone_url; their `url` is the HTML URL.
    cloneUrl: {
      https: urlField(text(repo, 'clone_url')) ?? (webUrl?.startsWith('https://') ? `${webUrl}.git` : null),
      ssh: urlField(text(repo, 'ssh_url')),
    },
    webUrl,
    defaultBranch: text(repo, 'default_branch') ?? text(repo, 'master_branch'),
  }
}

function person(value: unknown): Person {
  return {
    name: text(value, 'name'),
    email: text(value, 'email'),
    username: text(value, 'username') ?? text(value, 'login'),
  }
}

function commit(value: unknown): Commit & { filesListed: boolean } {
  return {
    id: text(value, 'id') ?? '',
    message: text(value, 'message') ?? '',
    timestamp: text(value, 'timestamp'),
    url: text(value, 'url'),
    author: person(field(value, 'author')),
    ...commitFiles(value),
  }
}

const PULL_REQUEST_ACTIONS: Record<string, string> = {
  opened: 'opened',
  synchronize: 'updated',
  reopened: 'reopened',
  closed: 'closed',
}

export function normalizeGitHub(payload: unknown, delivery: IdentifiedDelivery, ctx: NormalizeContext): Normalized {
  const base = eventBase('github', delivery, ctx)
  switch (delivery.eventType) {
    case 'ping':
      return { kind: 'ping', note: text(payload, 'zen') ?? 'ping' }
    case 'create':
    case 'delete':
      return { kind: 'ignored', reason: `${delivery.eventType} is covered by the push event GitHub sends with it` }
    case 'push': {
      const ref = text(payload, 'ref')
      const rawAfter = text(payload, 'after')
      const rawBefore = text(payload, 'before')
      if (!ref || !rawAfter || !rawBefore) throw new BadPayloadError('push needs ref, before and after')
      const [before, after] = [commitId(rawBefore, 'before'), commitId(rawAfter, 'after')]
      const repo = repository(payload)
      const parsed = list(payload, 'commits').map(commit)
      const isTag = ref.startsWith('refs/tags/')
      const created = bool(payload, 'created') ?? before === ZERO_SHA
      const deleted = bool(payload, 'deleted') ?? after === ZERO_SHA
      const forced = bool(payload, 'forced')
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
            deleted,
            // 2012-era payloads set forced on creations too.
            forced: forced === true && created ? false : forced,
            commits: parsed.map(({ filesListed: _, ...c }) => c),
            totalCommits: parsed.length,
            // A force push or a new branch lists only the new commits, which is not before..after.
            filesKnown:
              parsed.length < MAX_PUSH_COMMITS && parsed.every((c) => c.filesListed) && !created && forced !== true,
            pusher: {
              name: text(payload, 'pusher', 'name'),
              email: text(payload, 'pusher', 'email'),
              username: text(payload, 'sender', 'login') ?? text(payload, 'pusher', 'name'),
            },
          },
        ],
      }
    }
    case 'pull_request': {
      const pr = field(payload, 'pull_request')
      const rawAction = text(payload, 'action') ?? ''
      const action =
        rawAction === 'closed' && bool(pr, 'merged') === true ? 'merged' : lookup(PULL_REQUEST_ACTIONS, rawAction)
      if (!action) return { kind: 'ignored', reason: `pull_request action ${rawAction || '(none)'} is not acted on` }
      const number = num(pr, 'number') ?? num(payload, 'number')
      const sourceBranch = text(pr, 'head', 'ref')
      const targetBranch = text(pr, 'base', 'ref')
      if (number === null || !sourceBranch || !targetBranch)
        throw new BadPayloadError('pull_request needs number, head.ref and base.ref')
      const repo = repository(payload)
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
              sha: commitHash(text(pr, 'head', 'sha'), 'pull_request.head.sha'),
              repositoryFullName: text(pr, 'head', 'repo', 'full_name'),
              cloneUrl: urlField(text(pr, 'head', 'repo', 'clone_url')),
            },
            target: { branch: targetBranch, sha: commitHash(text(pr, 'base', 'sha'), 'pull_request.base.sha') },
            author: { name: null, email: null, username: text(pr, 'user', 'login') },
            url: text(pr, 'html_url'),
          },
        ],
      }
    }
    default:
      return { kind: 'ignored', reason: `GitHub event ${delivery.eventType} is not acted on` }
  }
}
