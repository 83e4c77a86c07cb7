// What a range of commits changed, read from a (bare) repository: file list with status and
// modes, blob contents and sizes, the merge-base for a new branch.
import type { SimpleGit } from 'simple-git'
import { BadRevisionError } from '../errors.js'
import { COMMIT_ID } from '../events/model.js'

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'
const ZERO = /^(?:0{40}|0{64})$/

/**
 * Nothing but a full commit id from a payload reaches git as a revision: `HEAD`, `main~3`, `@{-1}`
 * or `--option` would name what the push did not.
 */
export function assertCommitId(sha: string): string {
  if (!COMMIT_ID.test(sha)) throw new BadRevisionError(JSON.stringify(sha.length > 80 ? `${sha.slice(0, 80)}…` : sha))
  return sha
}

/** git's name-status letters (A, M, D, R, C, T), spelled out. */
export type FileStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type-changed'

export interface ChangedFile {
  status: FileStatus
  path: string
  oldPath: string | null
  oldMode: string
  newMode: string
  /** Null on the side where the file does not exist. */
  oldBlob: string | null
  newBlob: string | null
}

const STATUS: Record<string, FileStatus> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'type-changed',
}

/** `git diff --raw -z -M base head`, parsed. */
export async function changedFiles(git: SimpleGit, base: string, head: string): Promise<ChangedFile[]> {
  assertCommitId(base)
  assertCommitId(head)
  const raw = await git.raw(['diff', '--raw', '-z', '-M', '--no-abbrev', '--no-ext-diff', '--no-textconv', base, head])
  const parts = raw.split('\0')
  const out: ChangedFile[] = []
  for (let k = 0; k < parts.length;) {
    const meta = parts[k++]
    if (!meta || !meta.startsWith(':')) continue
    const [oldMode, newMode, oldSha, newSha, code] = meta.slice(1).split(' ') as [
      string,
      string,
      string,
      string,
      string,
    ]
    const letter = code[0]!
    const first = parts[k++]!
    const second = letter === 'R' || letter === 'C' ? parts[k++]! : null
    out.push({
      status: STATUS[letter] ?? 'modified',
      path: second ?? first,
      oldPath: second ? first : null,
      oldMode,
      newMode,
      oldBlob: ZERO.test(oldSha) ? null : oldSha,
      newBlob: ZERO.test(newSha) ? null : newSha,
    })
  }
  return out
}

export async function blobSize(git: SimpleGit, sha: string): Promise<number> {
  return Number((await git.raw(['cat-file', '-s', sha])).trim())
}

/** A blob as bytes (raw() would decode it as text and damage binary content). */
export async function readBlob(git: SimpleGit, sha: string): Promise<Buffer> {
  return git.binaryCatFile(['blob', sha])
}

/** The commit a new branch forked from: merge-base with the default branch, or null. */
export async function forkPoint(git: SimpleGit, head: string, defaultBranch: string | null): Promise<string | null> {
  assertCommitId(head)
  const branch =
    defaultBranch ??
    (await git.raw(['symbolic-ref', '--short', 'HEAD']).then(
      (s) => s.trim(),
      () => null,
    ))
  if (!branch) return null
  const base = await git.raw(['merge-base', head, `refs/heads/${branch}`]).then(
    (s) => s.trim(),
    () => '',
  )
  return base && !ZERO.test(base) ? base : null
}

/** A plain unified diff of one file between two commits. */
export async function unifiedDiff(
  git: SimpleGit,
  base: string,
  head: string,
  f: ChangedFile,
  maxBytes: number,
): Promise<string> {
  const paths = f.oldPath ? [f.oldPath, f.path] : [f.path]
  assertCommitId(base)
  assertCommitId(head)
  const text = await git.raw(['diff', '--no-color', '--no-ext-diff', '--no-textconv', '-M', base, head, '--', ...paths])
  // Drop git's own header lines; the page shows path and status itself.
  const body = text.slice(Math.max(0, text.search(/^(@@|Binary files)/m)))
  return body.length > maxBytes
    ? `${body.slice(0, maxBytes)}\n… diff cut at ${maxBytes} bytes (${body.length} in all)\n`
    : body
}

export const isZero = (sha: string) => ZERO.test(sha)
