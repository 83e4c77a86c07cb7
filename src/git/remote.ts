// Which URL a repository is fetched from (the mirrors) and checked out from (Jenkins' REPO_URL):
// never a URL the payload invents. The operator names each provider's hosts (`git.hosts`, also per
// tenant); the URL is `<base>/<full name>.git`, the signed repository on a configured host. The
// payload's own clone URL only says which of the provider's hosts it came from; one on another
// host, or naming another repository, is refused with the reason.
import { CloneUrlRefusedError } from '../errors.js'
import type { ProviderName, PullRequestEvent, Repository } from '../events/model.js'

export interface GitHost {
  provider: ProviderName
  /** `https://github.com`, `https://gitlab.example.com/gitlab`, `https://bitbucket.example.com/scm`. */
  url: string
  /** Only these tenants' repositories are fetched from this host; absent: every tenant's. */
  tenants?: readonly string[]
}

/** The public hosts, so the zero-setup path works; self-hosted ones must be configured. */
export const DEFAULT_GIT_HOSTS: readonly GitHost[] = [
  { provider: 'github', url: 'https://github.com' },
  { provider: 'gitlab', url: 'https://gitlab.com' },
  { provider: 'bitbucket-cloud', url: 'https://bitbucket.org' },
]

export interface RemoteSubject {
  provider: ProviderName
  tenant: string
  repository: Pick<Repository, 'fullName' | 'cloneUrl'>
}

// What GitHub, GitLab and Bitbucket allow in owner, group, project and repository names
// (Bitbucket Server's personal projects start with `~`). No `..`, no `%`, no `?`: the name
// cannot walk out of the base's path or add a query.
const SEGMENT = /^~?[A-Za-z0-9_.-]+$/

/** Why `fullName` cannot be a path on a git host, or undefined when it can. */
export function repositoryNameProblem(fullName: string): string | undefined {
  const parts = fullName.split('/')
  if (parts.length < 2 || parts.length > 21) return 'is not owner/name (or group/…/name)'
  if (!parts.every((p) => p.length <= 255 && SEGMENT.test(p) && !/^\.+$/.test(p)))
    return 'has a part that is not a plain name (letters, digits, . _ -)'
  return undefined
}

/** Why `url` cannot be a `git.hosts` base, or undefined when it can. Never quotes a credential. */
export function hostBaseProblem(url: string): string | undefined {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return 'is not a valid URL'
  }
  if (!['https:', 'http:', 'ssh:'].includes(u.protocol)) return 'must start with https://, http:// or ssh://'
  if (!u.hostname) return 'has no host'
  if (u.password || (u.username && u.protocol !== 'ssh:'))
    return 'must not contain a user or token; use git.credentials'
  if (u.search || u.hash || /[?#]/.test(url)) return 'must not contain a query or fragment'
  return undefined
}

const pathKey = (path: string) =>
  path
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '')
    .toLowerCase()

function derive(host: GitHost, fullName: string): string {
  // Bitbucket Server's own clone links spell the project key in lower case (/scm/proj/repo.git).
  const path = host.provider === 'bitbucket-server' ? fullName.toLowerCase() : fullName
  return `${host.url.replace(/\/+$/, '')}/${path}.git`
}

function parsed(url: string | null): URL | null {
  if (!url) return null
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/** The configured host a subject's repository lives on, or why there is none. */
function hostFor(subject: RemoteSubject, hosts: readonly GitHost[]): GitHost {
  const { provider, tenant, repository } = subject
  const refuse = (why: string) => new CloneUrlRefusedError(`${repository.fullName} (${provider}): ${why}`)
  const problem = repositoryNameProblem(repository.fullName)
  if (problem) throw refuse(`the repository name ${problem}`)
  const candidates = hosts.filter(
    (h) => h.provider === provider && (!h.tenants || h.tenants.includes('*') || h.tenants.includes(tenant)),
  )
  if (candidates.length === 0)
    throw refuse(
      `no git.hosts entry for ${provider}${hosts.some((h) => h.provider === provider) ? ` serves tenant ${tenant}` : ''}; add the host's base URL to git.hosts`,
    )
  const claimed = parsed(repository.cloneUrl.https)
  if (!claimed) {
    if (candidates.length === 1) return candidates[0]!
    throw refuse(`the payload names no clone URL to tell which of ${candidates.length} ${provider} hosts it is on`)
  }
  const sameHost = candidates.filter((h) => parsed(h.url)?.hostname === claimed.hostname)
  if (sameHost.length === 0)
    throw refuse(
      `the payload's clone URL is on ${claimed.hostname}, which is not a git.hosts entry for ${provider}${candidates.length < hosts.filter((h) => h.provider === provider).length ? ` serving tenant ${tenant}` : ''}`,
    )
  const match = sameHost.find(
    (h) => pathKey(new URL(derive(h, repository.fullName)).pathname) === pathKey(claimed.pathname),
  )
  if (!match) throw refuse(`the payload's clone URL names another repository than ${repository.fullName}`)
  return match
}

/** Where `subject`'s repository is fetched from: its derived URL. Throws CloneUrlRefusedError. */
export function remoteOf(subject: RemoteSubject, hosts: readonly GitHost[]): string {
  return derive(hostFor(subject, hosts), subject.repository.fullName)
}

/**
 * Where Jenkins checks a pull request out from: the source repository (a fork) on the target's
 * host when it belongs to the same tenant, else the target repository itself — a payload must not
 * make one tenant's build fetch another tenant's repository.
 */
export function pullRequestRemoteOf(
  e: PullRequestEvent,
  hosts: readonly GitHost[],
  tenantOf: (repository: string) => string,
): string {
  const host = hostFor(e, hosts)
  const source = e.source.repositoryFullName
  const fork =
    source !== null &&
    source.toLowerCase() !== e.repository.fullName.toLowerCase() &&
    !repositoryNameProblem(source) &&
    tenantOf(source) === e.tenant
  return derive(host, fork ? source : e.repository.fullName)
}
