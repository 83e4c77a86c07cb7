// The diff of one push (before → after; the base comes from git/push-range.ts): every changed file,
// notebooks diffed cell by cell, other text files as unified diffs, and the cases that are
// described instead of diffed — LFS pointers, submodule bumps, notebooks over the size limit,
// binaries, unparsable notebooks (with a plain-text fallback). Never throws for a file's content;
// only for git itself (clone/fetch failures).
import type { SimpleGit } from 'simple-git'
import type { DiffEngine } from '../engines/types.js'
import { DiffTimeLimitError } from '../engines/time-limit.js'
import { EMPTY_NOTEBOOK, NotebookParseError, type DiffOptions } from '../notebooks/core/index.js'
import { summarize } from '../notebooks/render/index.js'
import {
  assertCommitId,
  blobSize,
  changedFiles,
  isZero,
  readBlob,
  unifiedDiff,
  type ChangedFile,
} from '../git/changes.js'
import type { MirrorCache } from '../git/mirror.js'
import { pushBase, type PushRange } from '../git/push-range.js'
import type { FileDiff, PushDiff } from './model.js'

export interface PushDiffLimits {
  /** Notebooks larger than this (either side) are summarized, not diffed. Default 20 MB. */
  maxNotebookBytes?: number
  /** Text diffs are cut here. Default 256 KB per file. */
  maxTextDiffBytes?: number
  /** Files beyond this many are listed but not diffed. Default 300. */
  maxFiles?: number
}

export interface PushDiffRequest extends PushRange {
  repository: string
  ref: string | null
  options?: DiffOptions
  limits?: PushDiffLimits
  /** Whose push: only its (and shared) git.credentials are sent, and the engine queues tenants' notebooks fairly. */
  tenant?: string
}

/** What the limits are when a request leaves them out (a stored diff's variant names them). */
export const DEFAULT_PUSH_DIFF_LIMITS: Required<PushDiffLimits> = {
  maxNotebookBytes: 20 * 2 ** 20,
  maxTextDiffBytes: 256 * 1024,
  maxFiles: 300,
}

const ENGINE_FAILED = 'could not diff '
/** How a notebook over the engine's time limit is described everywhere it is shown. */
export const TOO_LARGE_IN_TIME = 'too large to diff in time'

/**
 * A notebook the engine failed on (its worker crashing, nbdiff failing) rather than one it could
 * not read or diff in time: the next attempt may work, so a diff holding one is worth making
 * again, not keeping.
 */
export function engineFailedOn(f: FileDiff): boolean {
  return f.kind === 'note' && f.reason === 'unparsable' && f.note.startsWith(ENGINE_FAILED)
}

const LFS_POINTER =
  /^version https:\/\/git-lfs\.github\.com\/spec\/v1\n(?:[\s\S]*\n)?oid sha256:([0-9a-f]{64})\nsize (\d+)\n/

export async function diffPush(mirrors: MirrorCache, engine: DiffEngine, req: PushDiffRequest): Promise<PushDiff> {
  const notes: string[] = []
  const result = (base: string, files: FileDiff[]): PushDiff => ({
    repository: req.repository,
    ref: req.ref,
    base,
    head: req.after,
    files,
    notes,
  })
  assertCommitId(req.before)
  if (isZero(assertCommitId(req.after))) {
    notes.push('The ref was deleted by this push: nothing to diff.')
    return result(req.before, [])
  }
  const { git, base } = await pushBase(mirrors, req, notes)
  const limits = { ...DEFAULT_PUSH_DIFF_LIMITS, ...req.limits }
  const changed = await changedFiles(git, base, req.after)
  const files: FileDiff[] = []
  for (const [k, f] of changed.entries()) {
    if (k >= limits.maxFiles) {
      files.push({
        kind: 'note',
        reason: 'omitted',
        note: `not diffed: more than ${limits.maxFiles} files changed`,
        path: f.path,
        oldPath: f.oldPath,
        status: f.status,
      })
      continue
    }
    files.push(await diffFile(git, engine, base, req.after, f, limits, req.options ?? {}, req.tenant))
  }
  return result(base, files)
}

async function diffFile(
  git: SimpleGit,
  engine: DiffEngine,
  base: string,
  head: string,
  f: ChangedFile,
  limits: Required<PushDiffLimits>,
  options: DiffOptions,
  tenant?: string,
): Promise<FileDiff> {
  const common = { path: f.path, oldPath: f.oldPath, status: f.status }
  if (f.oldMode === '160000' || f.newMode === '160000') {
    const from = f.oldBlob ? f.oldBlob.slice(0, 10) : '(none)'
    const to = f.newBlob ? f.newBlob.slice(0, 10) : '(removed)'
    return {
      ...common,
      kind: 'note',
      reason: 'submodule',
      note: `submodule ${f.status === 'added' ? 'added at' : f.status === 'deleted' ? 'removed, was at' : 'bumped'} ${f.status === 'added' ? to : f.status === 'deleted' ? from : `${from} → ${to}`}`,
    }
  }
  const sizes = {
    old: f.oldBlob ? await blobSize(git, f.oldBlob) : 0,
    new: f.newBlob ? await blobSize(git, f.newBlob) : 0,
  }
  const small = (n: number) => n > 0 && n < 1024
  const oldText = f.oldBlob && small(sizes.old) ? (await readBlob(git, f.oldBlob)).toString('utf8') : null
  const newText = f.newBlob && small(sizes.new) ? (await readBlob(git, f.newBlob)).toString('utf8') : null
  const lfs = LFS_POINTER.exec(newText ?? '') ?? LFS_POINTER.exec(oldText ?? '')
  if (lfs)
    return {
      ...common,
      kind: 'note',
      reason: 'lfs',
      note: `stored in Git LFS (${human(Number(lfs[2]))}, oid ${lfs[1]!.slice(0, 12)}…): not diffed`,
    }

  if (/\.ipynb$/i.test(f.path)) {
    if (sizes.old > limits.maxNotebookBytes || sizes.new > limits.maxNotebookBytes) {
      return {
        ...common,
        kind: 'note',
        reason: 'too-large',
        note: `notebook ${human(sizes.old)} → ${human(sizes.new)}, over the ${human(limits.maxNotebookBytes)} limit: summarized, not rendered`,
      }
    }
    // Bytes, not strings: a worker engine takes them over without a copy.
    const a = f.oldBlob ? await readBlob(git, f.oldBlob) : JSON.stringify(EMPTY_NOTEBOOK)
    const b = f.newBlob ? await readBlob(git, f.newBlob) : JSON.stringify(EMPTY_NOTEBOOK)
    // git's naming, so "could not parse b/nb/train.ipynb" says which side and which file.
    const names = { a: `a/${f.oldPath ?? f.path}`, b: `b/${f.path}` }
    try {
      const r = await engine.diff(a, b, names, options, { tenant })
      return {
        ...common,
        kind: 'notebook',
        base: r.base,
        diff: r.diff,
        summary: summarize(r.base, r.diff),
        ...(r.degraded?.length ? { degraded: r.degraded } : {}),
      }
    } catch (err) {
      const fallback = await unifiedDiff(git, base, head, f, limits.maxTextDiffBytes).catch(() => '')
      // An answer, kept like a diff: the same pair would take as long again.
      if (err instanceof DiffTimeLimitError)
        return {
          ...common,
          kind: 'note',
          reason: 'time-limit',
          note: `${TOO_LARGE_IN_TIME}: not done within ${err.limitMs / 1000} s (diffs.timeLimitMs); plain-text diff below`,
          unified: fallback,
        }
      const why =
        err instanceof NotebookParseError ? err.message : `${ENGINE_FAILED}${names.b}: ${(err as Error).message}`
      return {
        ...common,
        kind: 'note',
        reason: 'unparsable',
        note: `${why} (plain-text diff below)`,
        unified: fallback,
      }
    }
  }
  const unified = await unifiedDiff(git, base, head, f, limits.maxTextDiffBytes)
  if (/^Binary files /m.test(unified.slice(0, 400)))
    return { ...common, kind: 'note', reason: 'binary', note: `binary file ${human(sizes.old)} → ${human(sizes.new)}` }
  return { ...common, kind: 'text', unified }
}

function human(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 2 ** 20) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 2 ** 20).toFixed(1)} MB`
}
