// Real git repositories in a temp dir: a bare "remote" served over file:// and a working clone.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { execa } from 'execa'

const ENV = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@example.com',
}

export async function gitAvailable(): Promise<boolean> {
  return execa('git', ['--version']).then(
    () => true,
    () => false,
  )
}

export interface TestRepo {
  root: string
  url: string
  /** `file://<root>`: the git.hosts base under which `url` is `<base>/<fullName>.git`. */
  base: string
  git(...args: string[]): Promise<string>
  write(files: Record<string, string | Buffer>): void
  /** Stages everything, commits, returns the new commit id. */
  commit(message: string): Promise<string>
  push(...refs: string[]): Promise<void>
  cleanup(): void
}

/** What registers cleanup: a tap test (`t`), or the top-level `t`. */
export interface Teardown {
  teardown(fn: () => void): void
}

/** A temp dir removed when `t` ends. */
export function tempDir(t: Teardown, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * With `t`, the repo is removed when `t` ends; without, call `cleanup()` yourself. The bare remote
 * is `<root>/<fullName>.git` (default `remote.git`), so a `git.hosts` base of `file://<root>` derives it.
 * `root` puts several repos under one directory (one git server for all of them).
 */
export async function makeRepo(t?: Teardown, o: { fullName?: string; root?: string } = {}): Promise<TestRepo> {
  const root = o.root ?? mkdtempSync(join(tmpdir(), 'tamer-git-'))
  const remote = join(root, `${o.fullName ?? 'remote'}.git`)
  const work = o.root ? join(root, 'work', o.fullName ?? 'remote') : join(root, 'work')
  const cleanup = () => {
    if (o.root) for (const dir of [remote, work]) rmSync(dir, { recursive: true, force: true })
    else rmSync(root, { recursive: true, force: true })
  }
  t?.teardown(cleanup)
  const git = async (...args: string[]) => (await execa('git', args, { cwd: work, env: ENV })).stdout
  try {
    mkdirSync(dirname(remote), { recursive: true })
    await execa('git', ['init', '--quiet', '--bare', '--initial-branch=main', remote], { env: ENV })
    // What GitHub and GitLab allow: partial clone, and fetching a commit by id.
    await execa('git', ['-C', remote, 'config', 'uploadpack.allowFilter', 'true'], { env: ENV })
    await execa('git', ['-C', remote, 'config', 'uploadpack.allowAnySHA1InWant', 'true'], { env: ENV })
    mkdirSync(dirname(work), { recursive: true })
    await execa('git', ['clone', '--quiet', remote, work], { env: ENV })
    await git('checkout', '--quiet', '-B', 'main')
  } catch (err) {
    // Nobody gets a handle to clean up after a failed setup.
    cleanup()
    throw err
  }
  return {
    root,
    url: `file://${remote}`,
    base: `file://${root}`,
    git,
    write(files) {
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(work, path)), { recursive: true })
        writeFileSync(join(work, path), content)
      }
    },
    async commit(message) {
      await git('add', '-A')
      await git('commit', '--quiet', '--allow-empty', '-m', message)
      return git('rev-parse', 'HEAD')
    },
    async push(...refs) {
      await git('push', '--quiet', 'origin', ...refs)
    },
    cleanup,
  }
}
