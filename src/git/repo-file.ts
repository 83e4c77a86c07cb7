// One small file of a repository at an exact commit, read from the mirror (`git ls-tree` then the
// blob; never a checkout): the repository's own settings such as `.tamer.yml`. A commit's content
// never changes, so what was read is kept in memory by (tenant, remote, commit, path).
import { GitFailedError } from '../errors.js'
import { assertCommitId, readBlob } from './changes.js'
import type { MirrorCache } from './mirror.js'

export interface RepoFileRequest {
  /** The derived URL (MirrorCache.remoteOf), never a payload's. */
  cloneUrl: string
  tenant?: string
  commit: string
  path: string
}

export interface RepoFileReader {
  /** The file's bytes, null when the commit has no such file; GitFailedError when git cannot tell. */
  read(req: RepoFileRequest): Promise<Buffer | null>
}

export class RepoFileTooLargeError extends Error {}

export function repoFileReader(mirrors: MirrorCache, o: { maxBytes: number; cacheEntries?: number }): RepoFileReader {
  const cache = new Map<string, Buffer | null>()
  const max = o.cacheEntries ?? 500
  return {
    async read(req) {
      assertCommitId(req.commit)
      const key = JSON.stringify([req.tenant ?? null, req.cloneUrl, req.commit, req.path])
      if (cache.has(key)) return cache.get(key)!
      const { git } = await mirrors.ensure(req.cloneUrl, [req.commit], { tenant: req.tenant })
      // `-l` gives the size, so a huge file is refused before it is read.
      const line = (
        await git.raw(['ls-tree', '-l', req.commit, '--', req.path]).catch((err: unknown) => {
          throw new GitFailedError(`ls-tree ${req.commit.slice(0, 10)} ${req.path}: ${(err as Error).message}`)
        })
      ).trim()
      let bytes: Buffer | null = null
      if (line) {
        const m = /^\d+ blob ([0-9a-f]+)\s+(\d+)\t/.exec(line)
        if (!m) throw new RepoFileTooLargeError(`${req.path} is not a file`)
        if (Number(m[2]) > o.maxBytes) throw new RepoFileTooLargeError(`${req.path} is larger than ${o.maxBytes} bytes`)
        bytes = await readBlob(git, m[1]!)
      }
      if (cache.size >= max) cache.delete(cache.keys().next().value!)
      cache.set(key, bytes)
      return bytes
    },
  }
}
