// A bare mirror per remote, fetched incrementally: the only place Tamer clones or fetches.
// Partial clone (`--filter=blob:none`) where the server allows it, so a push's diff downloads only
// the blobs it reads; git itself falls back to a full clone when the server ignores the filter,
// and we retry without the flag when the server refuses it outright.
import { createHash } from 'node:crypto'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { simpleGit, type SimpleGit } from 'simple-git'
import { GitFailedError } from '../errors.js'

export interface MirrorCacheOptions {
  /** Where mirrors live, one folder per remote. */
  dir: string
  /** Per git command (default 5 min: first clones of big repos are slow). */
  timeoutMs?: number
  /** URL schemes git may use (GIT_ALLOW_PROTOCOL). Default https, http, ssh, git; tests add file. */
  allowProtocols?: readonly string[]
  /** Try `--filter=blob:none` on first clone (default true). */
  partialClone?: boolean
}

export interface Mirror {
  path: string
  git: SimpleGit
  /** True when the mirror is a partial clone (blobs fetched on demand). */
  partial: boolean
}

export class MirrorCache {
  private readonly locks = new Map<string, Promise<unknown>>()
  constructor(private readonly opts: MirrorCacheOptions) {}

  /** Where the mirror of `url` lives: a hash, plus the repo name for people reading the folder. */
  pathFor(url: string): string {
    const name = (url.split(/[/:]/).pop() ?? 'repo').replace(/\.git$/, '').replace(/[^\w.-]/g, '_').slice(0, 40)
    return join(this.opts.dir, `${createHash('sha256').update(url).digest('hex').slice(0, 16)}-${name}.git`)
  }

  git(baseDir: string): SimpleGit {
    // A minimal environment: simple-git refuses variables that can run programs (EDITOR, GIT_SSH_COMMAND …).
    const keep = Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'LANG', 'SSH_AUTH_SOCK'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])))
    // GIT_CONFIG_GLOBAL points at /dev/null on purpose, hence allowUnsafeConfigPaths.
    return simpleGit({ baseDir, timeout: { block: this.opts.timeoutMs ?? 300_000 }, unsafe: { allowUnsafeConfigPaths: true } }).env({
      ...keep,
      // Never wait for a password prompt; never read the operator's config for this remote.
      GIT_TERMINAL_PROMPT: '0',
      GIT_ALLOW_PROTOCOL: (this.opts.allowProtocols ?? ['https', 'http', 'ssh', 'git']).join(':'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    })
  }

  /**
   * The mirror of `url`, cloned on first use and fetched now; `want` are commits that must be
   * present afterwards (fetched by id if no branch has them, e.g. after a force-push).
   */
  async ensure(url: string, want: readonly string[] = []): Promise<Mirror> {
    return this.serialized(url, async () => {
      const path = this.pathFor(url)
      await mkdir(this.opts.dir, { recursive: true })
      if (!(await exists(join(path, 'HEAD')))) await this.clone(url, path)
      const git = this.git(path)
      try {
        await git.raw(['fetch', '--prune', '--no-tags', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'])
      } catch (err) {
        throw new GitFailedError(`fetch ${redact(url)}: ${firstLine(err)}`)
      }
      for (const sha of want) {
        if (await hasCommit(git, sha)) continue
        await git.raw(['fetch', 'origin', sha]).catch(() => undefined)
        if (!(await hasCommit(git, sha))) throw new GitFailedError(`commit ${sha} is not in ${redact(url)}`)
      }
      const partial = (await git.raw(['config', '--get', 'remote.origin.partialclonefilter']).catch(() => '')).trim() !== ''
      return { path, git, partial }
    })
  }

  private async clone(url: string, path: string): Promise<void> {
    const attempt = async (extra: string[]) => {
      await rm(path, { recursive: true, force: true })
      await this.git(this.opts.dir).raw(['clone', '--bare', '--quiet', ...extra, '--', url, path])
    }
    try {
      if (this.opts.partialClone === false) await attempt([])
      else await attempt(['--filter=blob:none']).catch(() => attempt([]))
    } catch (err) {
      await rm(path, { recursive: true, force: true })
      throw new GitFailedError(`clone ${redact(url)}: ${firstLine(err)}`)
    }
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

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false)
}

export async function hasCommit(git: SimpleGit, sha: string): Promise<boolean> {
  return git.raw(['cat-file', '-e', `${sha}^{commit}`]).then(() => true, () => false)
}

/** Credentials in a URL never reach a log line or an error message. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]+@/, '//***@')
}

const firstLine = (err: unknown) => String((err as Error).message ?? err).trim().split('\n')[0]
