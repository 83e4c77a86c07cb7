// A bare mirror per remote, fetched incrementally: the only place Tamer clones or fetches.
// Partial clone (`--filter=blob:none`) where the server allows it, so a push's diff downloads only
// the blobs it reads; git itself falls back to a full clone when the server ignores the filter,
// and we retry without the flag when the server refuses it outright.
// What a mirror may fetch: the URL derived for the event's repository (./remote.ts), over an
// allowed protocol, to a public address (./address.ts), with the credential of that tenant.
import { createHash } from 'node:crypto'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { simpleGit, type SimpleGit } from 'simple-git'
import type { Config } from '../config/schema.js'
import { CloneUrlRefusedError, GitFailedError } from '../errors.js'
import { checkRemoteAddress, type Resolver } from './address.js'
import { assertCommitId } from './changes.js'
import {
  basicAuthorization,
  credentialConfigEntries,
  credentialFor,
  gitConfigEnv,
  withoutUserinfo,
  type GitCredential,
} from './credentials.js'
import { DEFAULT_GIT_HOSTS, remoteOf, type GitHost, type RemoteSubject } from './remote.js'

export interface MirrorCacheOptions {
  /** Where mirrors live, one folder per remote. */
  dir: string
  /** Per git command (default 5 min: first clones of big repos are slow). */
  timeoutMs?: number
  /** URL schemes git may use (GIT_ALLOW_PROTOCOL; config git.protocols). Default https only; tests add file or http. */
  allowProtocols?: readonly string[]
  /** Try `--filter=blob:none` on first clone (default true). */
  partialClone?: boolean
  /** HTTPS credentials by URL prefix and tenant (config `git.credentials`); the longest matching prefix is sent. */
  credentials?: readonly GitCredential[]
  /** Host bases per provider (config `git.hosts`); default the public hosts. */
  hosts?: readonly GitHost[]
  /** `host` or `host:port` that may resolve to loopback or private addresses (config `git.allowPrivateHosts`). */
  allowPrivateHosts?: readonly string[]
  /** DNS for the address check (default the system's, as git would resolve). */
  resolve?: Resolver
}

/** Which tenant a fetch is for: its credentials are the only ones sent (undefined: shared ones only). */
export interface EnsureOptions {
  tenant?: string
}

/** The mirrors as `tamer serve` and the CLI set them up from config. */
export function mirrorCacheFromConfig(
  config: Pick<Config, 'dataDir' | 'git'>,
  dir = join(config.dataDir, 'mirrors'),
): MirrorCache {
  const g = config.git
  return new MirrorCache({
    dir,
    credentials: g.credentials,
    hosts: g.hosts,
    allowProtocols: g.protocols,
    allowPrivateHosts: g.allowPrivateHosts,
  })
}

export interface Mirror {
  path: string
  git: SimpleGit
  /** True when the mirror is a partial clone (blobs fetched on demand). */
  partial: boolean
}

export class MirrorCache {
  private readonly locks = new Map<string, Promise<unknown>>()
  private readonly opts: MirrorCacheOptions

  constructor(opts: MirrorCacheOptions) {
    this.opts = opts
  }

  /** The URL an event's repository is fetched from (never the payload's own). Throws CloneUrlRefusedError. */
  remoteOf(subject: RemoteSubject): string {
    return remoteOf(subject, this.opts.hosts ?? DEFAULT_GIT_HOSTS)
  }

  /** Where the mirror of `url` lives: a hash, plus the repo name for people reading the folder. */
  pathFor(cloneUrl: string, tenant?: string): string {
    // Hashed without userinfo, so a token in a clone URL neither moves the mirror nor names it;
    // with the tenant, so what one tenant's credential fetched is never another tenant's mirror.
    const url = withoutUserinfo(cloneUrl)
    const name = (url.split(/[/:]/).pop() ?? 'repo')
      .replace(/\.git$/, '')
      .replace(/[^\w.-]/g, '_')
      .slice(0, 40)
    const key = tenant === undefined ? url : `${tenant}\n${url}`
    return join(this.opts.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 16)}-${name}.git`)
  }

  /**
   * Git in `baseDir` for `url`: the allowed protocols, no redirects, the pinned addresses and the credential, if any.
   */
  private git(baseDir: string, url: string, access: Access): SimpleGit {
    // A minimal environment: simple-git refuses variables that can run programs (EDITOR, GIT_SSH_COMMAND …).
    const keep = Object.fromEntries(
      ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SSH_AUTH_SOCK'].flatMap((k) =>
        process.env[k] ? [[k, process.env[k]!]] : [],
      ),
    )
    // GIT_CONFIG_GLOBAL points at /dev/null on purpose, hence allowUnsafeConfigPaths; settings
    // travel as GIT_CONFIG_COUNT entries, hence allowUnsafeConfigEnvCount (simple-git still vets the keys).
    const unsafe = { allowUnsafeConfigPaths: true, allowUnsafeConfigEnvCount: true }
    const config: [string, string][] = [
      // A redirect could lead anywhere, past the address check and with the credential
      // (git-config http.followRedirects); the configured URL is the repository's current one.
      ['http.followRedirects', 'false'],
      ...(access.pin ? [['http.curloptResolve', access.pin] as [string, string]] : []),
      ...(access.credential ? credentialConfigEntries(url, access.credential) : []),
    ]
    return simpleGit({ baseDir, timeout: { block: this.opts.timeoutMs ?? 300_000 }, unsafe }).env({
      ...keep,
      // Never wait for a password prompt; never read the operator's config for this remote.
      GIT_TERMINAL_PROMPT: '0',
      GIT_ALLOW_PROTOCOL: this.protocols().join(':'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      ...gitConfigEnv(config),
    })
  }

  private protocols(): readonly string[] {
    return this.opts.allowProtocols ?? ['https']
  }

  /** The URL as git may use it, or CloneUrlRefusedError: an allowed scheme, a host, no query or fragment. */
  private checkUrl(url: string): URL {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      throw new CloneUrlRefusedError(
        `${JSON.stringify(redact(url).slice(0, 200))} is not a URL (scp-style and transport-helper remotes are not used)`,
      )
    }
    const scheme = u.protocol.slice(0, -1).toLowerCase()
    if (!this.protocols().includes(scheme))
      throw new CloneUrlRefusedError(
        `${redact(url)}: protocol ${scheme} is not allowed (git.protocols: ${this.protocols().join(', ')})`,
      )
    if (u.search || u.hash || /[?#]/.test(url))
      throw new CloneUrlRefusedError(`${redact(url)}: a clone URL has no query or fragment`)
    if (scheme !== 'file' && (!u.hostname || u.hostname.startsWith('-')))
      throw new CloneUrlRefusedError(`${redact(url)}: not a host name`)
    return u
  }

  /**
   * The mirror of `url`, cloned on first use and fetched now; `want` are commits that must be
   * present afterwards (fetched by id if no branch has them, e.g. after a force-push).
   */
  async ensure(cloneUrl: string, want: readonly string[] = [], opts: EnsureOptions = {}): Promise<Mirror> {
    // A token someone left in a clone URL is dropped: credentials come from config only.
    const url = withoutUserinfo(cloneUrl)
    for (const sha of want) assertCommitId(sha)
    const target = this.checkUrl(url)
    const path = this.pathFor(url, opts.tenant)
    return this.serialized(path, async () => {
      // Resolved now, just before git connects, and git is held to these addresses.
      const pin = await checkRemoteAddress(target, this.opts.allowPrivateHosts ?? [], this.opts.resolve)
      const access: Access = { pin, credential: credentialFor(url, this.opts.credentials ?? [], opts.tenant) }
      await mkdir(this.opts.dir, { recursive: true })
      if (!(await exists(join(path, 'HEAD')))) await this.clone(url, path, access)
      // The mirror's git carries the credential and the pin: partial clones fetch blobs lazily through it.
      const git = this.git(path, url, access)
      try {
        await git.raw([
          'fetch',
          '--prune',
          '--no-tags',
          'origin',
          '+refs/heads/*:refs/heads/*',
          '+refs/tags/*:refs/tags/*',
        ])
      } catch (err) {
        throw this.failure('fetch', url, access, err)
      }
      for (const sha of want) {
        if (await hasCommit(git, sha)) continue
        await git.raw(['fetch', 'origin', sha]).catch(() => undefined)
        if (!(await hasCommit(git, sha))) throw new GitFailedError(`commit ${sha} is not in ${redact(url)}`)
      }
      const partial =
        (await git.raw(['config', '--get', 'remote.origin.partialclonefilter']).catch(() => '')).trim() !== ''
      return { path, git, partial }
    })
  }

  private async clone(url: string, path: string, access: Access): Promise<void> {
    const attempt = async (extra: string[]) => {
      await rm(path, { recursive: true, force: true })
      await this.git(this.opts.dir, url, access).raw(['clone', '--bare', '--quiet', ...extra, '--', url, path])
    }
    try {
      if (this.opts.partialClone === false) await attempt([])
      else await attempt(['--filter=blob:none']).catch((err) => (gitProblem(err) ? Promise.reject(err) : attempt([])))
    } catch (err) {
      await rm(path, { recursive: true, force: true })
      throw this.failure('clone', url, access, err)
    }
  }

  /** A GitFailedError that says what went wrong and what to configure, and never holds a secret. */
  private failure(action: string, url: string, access: Access, err: unknown): Error {
    const credential = access.credential
    const problem = gitProblem(err)
    let message: string
    if (problem === 'auth')
      message = credential
        ? `authentication failed for ${redact(url)}: the server refused the credentials of git.credentials ${credential.url}`
        : `authentication failed for ${redact(url)}: no git.credentials entry covers this URL`
    else if (problem === 'redirect')
      message = `${action} ${redact(url)}: the server redirected; redirects are not followed (they could lead to another host or address, with the credential); use the repository's current URL`
    else message = `${action} ${redact(url)}: ${firstLine(err)}`
    return new GitFailedError(credential ? scrub(message, credential) : message)
  }

  /** One git operation per mirror at a time; different remotes run in parallel. */
  private async serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve()
    const next = prev.catch(() => undefined).then(fn)
    this.locks.set(key, next)
    try {
      return await next
    } finally {
      if (this.locks.get(key) === next) this.locks.delete(key)
    }
  }
}

interface Access {
  /** `http.curloptResolve`: the checked addresses git must connect to. */
  pin: string | null
  credential: GitCredential | undefined
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  )
}

export async function hasCommit(git: SimpleGit, sha: string): Promise<boolean> {
  assertCommitId(sha)
  return git.raw(['cat-file', '-e', `${sha}^{commit}`]).then(
    () => true,
    () => false,
  )
}

/** Credentials in a URL never reach a log line or an error message. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]+@/, '//***@')
}

const firstLine = (err: unknown) =>
  String((err as Error).message ?? err)
    .trim()
    .split('\n')[0]

/**
 * Failures worth their own message; what git prints for them (GIT_TERMINAL_PROMPT=0 turns a 401 into "could not read
 * Username").
 */
function gitProblem(err: unknown): 'auth' | 'redirect' | undefined {
  const text = String((err as Error).message ?? err)
  if (
    /could not read (Username|Password)|Authentication failed|terminal prompts disabled|returned error: 40[13]\b/i.test(
      text,
    )
  )
    return 'auth'
  if (/returned error: 30[1278]\b|redirect/i.test(text)) return 'redirect'
  return undefined
}

/** Defence in depth: git never prints the header, but a message must not carry it if it ever did. */
function scrub(message: string, credential: GitCredential): string {
  const header = basicAuthorization(credential)
  return [credential.password, header.slice('Basic '.length)].reduce(
    (m, secret) => m.split(secret).join('***'),
    message,
  )
}
