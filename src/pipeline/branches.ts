// The branch registry kept current (issue #14): from every stored push (created, updated, deleted;
// all four hosts normalize to PushEvent), read in delivery order behind a cursor kept in the store,
// so a restart or a missed signal delays and never loses one; and from the remote, listed through
// the mirror cache (a fetch with --prune, then the mirror's refs/heads) on demand and on an interval.
// Branch names are data everywhere: stored, compared and sent as they are, never parsed by a shell.
import type { Logger } from 'pino'
import { ZERO_SHA, type PushEvent } from '../events/model.js'
import type { Mirror } from '../git/mirror.js'
import type { JobContext } from '../jenkins/provision.js'
import type { RemoteSubject } from '../git/remote.js'
import type { BranchChange, BranchStore, RemoteListing, RepositoryKey } from '../store/branches.js'
import type { StoredDelivery } from '../store/store.js'
import { serialPasses } from '../work/passes.js'

/** What the registry needs of the mirror cache (src/git/mirror.ts MirrorCache). */
export interface BranchMirrors {
  remoteOf(subject: RemoteSubject): string
  ensure(cloneUrl: string, want?: readonly string[], opts?: { tenant?: string }): Promise<Mirror>
}

export interface BranchTrackerDeps {
  store: BranchStore
  logger: Logger
  mirrors: BranchMirrors
  /**
   * Told when a repository's live branches changed (jobs' choice lists are rewritten then); the work it returns
   * is what `settled` waits for.
   */
  branchesChanged?: (key: RepositoryKey) => void | Promise<unknown>
  /** How long a pass waits for the signal of a delivery it finds unknown before reading it back (200 ms). */
  lookAgainMs?: number
  /**
   * How long a wake waits to take the deliveries of the commits after it in the same pass (0: a pass at once).
   * A pass per commit read the cursor and a page and wrote the branch rows in a commit of its own (issue #12).
   */
  wakeCoalesceMs?: number
}

/** The branch changes a stored delivery carries: its pushes to branches (runs are not pushes). */
export function branchChangesOf(d: Pick<StoredDelivery, 'normalized'>): BranchChange[] {
  if (d.normalized.kind !== 'events') return []
  return d.normalized.events
    .filter(
      (e): e is PushEvent => e.kind === 'push' && e.refType === 'branch' && e.branch !== null && !e.run && !e.replay,
    )
    .map((e) => {
      const head = e.commits.find((c) => c.id === e.after)
      const deleted = e.deleted || e.after === ZERO_SHA
      return {
        tenant: e.tenant,
        provider: e.provider,
        repository: e.repository.fullName,
        branch: e.branch!,
        deleted,
        commitSha: deleted ? null : e.after,
        authorName: head?.author.name ?? e.pusher.name,
        authorEmail: head?.author.email ?? e.pusher.email,
        committedAt: head?.timestamp ?? null,
        at: e.receivedAt,
        defaultBranch: e.repository.defaultBranch,
      }
    })
}

const SEP = '\u0001'

/** The live branches of a bare mirror, with their head commit's author and time. */
export async function listMirrorBranches(
  mirror: Mirror,
): Promise<{ defaultBranch: string | null; branches: RemoteListing['branches'] }> {
  // NUL-free separators git cannot put in a ref name (git-check-ref-format: no control characters).
  const format = ['%(refname)', '%(objectname)', '%(authorname)', '%(authoremail)', '%(authordate:iso-strict)'].join(
    SEP,
  )
  const out = await mirror.git.raw(['for-each-ref', `--format=${format}`, 'refs/heads/'])
  const branches = out
    .split('\n')
    .filter((l) => l.startsWith('refs/heads/'))
    .map((l) => {
      const [ref, sha, name, email, date] = l.split(SEP)
      return {
        branch: ref!.slice('refs/heads/'.length),
        commitSha: sha || null,
        authorName: name || null,
        authorEmail: (email ?? '').replace(/^<|>$/g, '') || null,
        committedAt: date ? new Date(date).toISOString() : null,
      }
    })
  const head = (await mirror.git.raw(['symbolic-ref', '--quiet', 'HEAD']).catch(() => '')).trim()
  const defaultBranch = head.startsWith('refs/heads/') ? head.slice('refs/heads/'.length) : null
  return {
    defaultBranch: defaultBranch && branches.some((b) => b.branch === defaultBranch) ? defaultBranch : null,
    branches,
  }
}

export interface BranchTracker {
  /** Takes the pushes of every delivery stored since the cursor (a signal or a tick calls it). */
  wake(): void
  /**
   * A delivery was committed, with its events as stored: its pushes are kept until the cursor passes
   * it, so the registry does not read back and parse the delivery it was just told of (issue #12).
   */
  stored(deliveryId: string, delivery: Pick<StoredDelivery, 'normalized'>): void
  /** Resolves once every delivery stored so far is in the registry. */
  catchUp(): Promise<void>
  /** catchUp, and then what the changes told of started (the jobs' rewrites) has ended too. */
  settled(): Promise<void>
  /** Lists the remote now; returns whether the live branches changed. Throws GitFailedError or CloneUrlRefusedError. */
  sync(key: RepositoryKey): Promise<boolean>
  /** Lists every known repository's remote (the interval); failures are logged. */
  syncAll(): Promise<void>
  stop(): Promise<void>
}

export function createBranchTracker(deps: BranchTrackerDeps): BranchTracker {
  const { store, logger } = deps
  let stopped = false
  /** The work the branchesChanged calls started, until it ends. */
  const telling = new Set<Promise<unknown>>()
  const told = (keys: readonly RepositoryKey[]) => {
    for (const k of keys) {
      const work = deps.branchesChanged?.(k)
      if (!work) continue
      const p = work.catch(() => {}).finally(() => telling.delete(p))
      telling.add(p)
    }
  }

  /** The pushes of deliveries told of and not yet behind the cursor; cleared when full (then read back). */
  const known = new Map<string, BranchChange[]>()
  const MAX_KNOWN = 10_000

  /**
   * The first delivery behind the cursor that no signal told of, as last seen. The writer answers a commit
   * after this thread's reads can see it, and with two commits in flight (store/sqlite/index.ts) a pass woken by
   * one commit's signal can see the next commit's rows before their signal: those are read back only if a later
   * pass (their signal's, or the timer's below) still finds them unknown.
   */
  let unknownHead: string | null = null
  /** catchUp: every delivery stored so far is taken now, read back if no signal told of it. */
  let readBackNow = 0
  const lookAgainMs = deps.lookAgainMs ?? 200
  const PAGE = 200

  async function pass(): Promise<number> {
    let taken = 0
    // Once a pass reads back, the deliveries after are older than any signal on its way: it reads on without
    // waiting again (one wait per 200 made the catch-up of a store the registry never saw ~550 deliveries/s).
    let readingBack = false
    for (;;) {
      const from = await store.branchCursor()
      const ids = await store.deliveryIdsAfter(from, PAGE)
      if (ids.length === 0) return taken
      // The deliveries told of, in order up to the first that was not (committed by another process,
      // or its signal not yet here): those are read back, unless a signal is likely on its way.
      let n = 0
      while (n < ids.length && known.has(ids[n]!.id)) n++
      if (n > 0) {
        const changes = ids.slice(0, n).flatMap((r) => known.get(r.id)!)
        told(await store.applyBranchChanges(changes, ids[n - 1]!.seq))
        for (const r of ids.slice(0, n)) known.delete(r.id)
        taken += n
        // The rest's signals may come next (the writer commits the next batch before this thread hears of it);
        // a signal or the tick wakes this again, and then what is still unknown is read back. A page not full
        // was all there was at the read: what committed since has its own signal on the way (or the tick), so
        // the pass ends instead of reading the cursor and the page again to find nothing (two reads per commit).
        if (n < ids.length || ids.length < PAGE) return taken
      } else {
        const head = ids[0]!.id
        if (readBackNow === 0 && !readingBack && unknownHead !== head) {
          unknownHead = head
          setTimeout(() => !stopped && void passes.run(), lookAgainMs).unref()
          return taken
        }
        const batch = await store.deliveriesAfter(from, 200)
        if (batch.length === 0) return taken
        told(await store.applyBranchChanges(batch.flatMap(branchChangesOf), batch[batch.length - 1]!.seq))
        for (const d of batch) known.delete(d.id)
        taken += batch.length
        readingBack = true
      }
      if (stopped) return taken
    }
  }
  const passes = serialPasses(
    pass,
    (err) => logger.error({ err }, 'branch registry pass failed'),
    () => stopped,
  )

  async function catchUp(): Promise<void> {
    readBackNow++
    try {
      await passes.current()
      await passes.run()
      await passes.current()
    } finally {
      readBackNow--
    }
  }

  async function sync(key: RepositoryKey): Promise<boolean> {
    const url = deps.mirrors.remoteOf({
      provider: key.provider,
      tenant: key.tenant,
      repository: { fullName: key.repository, cloneUrl: { https: null, ssh: null } },
    })
    const mirror = await deps.mirrors.ensure(url, [], { tenant: key.tenant })
    const listed = await listMirrorBranches(mirror)
    const changed = await store.applyRemoteListing({ ...key, ...listed, at: new Date().toISOString() })
    if (changed) told([key])
    return changed
  }

  const coalesceMs = deps.wakeCoalesceMs ?? 0
  let wakeTimer: ReturnType<typeof setTimeout> | null = null
  const wake = () => {
    if (coalesceMs === 0) return void passes.run()
    if (wakeTimer !== null || stopped) return
    wakeTimer = setTimeout(() => {
      wakeTimer = null
      if (!stopped) void passes.run()
    }, coalesceMs)
  }

  return {
    wake,
    stored(deliveryId, delivery) {
      if (known.size >= MAX_KNOWN) known.clear()
      known.set(deliveryId, branchChangesOf(delivery))
    },
    catchUp,
    async settled() {
      await catchUp()
      while (telling.size > 0) await Promise.all([...telling])
    },
    sync,
    async syncAll() {
      const seen: RepositoryKey[] = []
      for (let before: number | undefined; ;) {
        const page = await store.listRepositories({ before, limit: 200 })
        seen.push(...page)
        if (page.length < 200) break
        before = page[page.length - 1]!.seq
      }
      for (const k of seen) {
        if (stopped) return
        await sync(k).catch((err: unknown) =>
          logger.warn({ repository: k.repository, err: (err as Error).message }, 'listing the remote branches failed'),
        )
      }
    },
    async stop() {
      stopped = true
      if (wakeTimer !== null) clearTimeout(wakeTimer)
      await passes.current()
    },
  }
}

export interface JobContextDeps {
  store: Pick<BranchStore, 'branchChoices'>
  /** branches.maxChoices */
  maxChoices: number
  /** jenkins.publicUrl, for CALLBACK_URL's default */
  publicUrl: string
  /** REPO_URL's default: the repository on its configured host, or null when none is configured. */
  remoteOf: (key: RepositoryKey) => string | null
}

/**
 * A job's parameters for a repository (issue #14): BRANCH's choices (default branch first, then
 * most recently pushed, capped), with `branch` among them when given (the build's own, which
 * Jenkins refuses unless it is a choice), and the defaults a build started by hand runs with.
 */
export function jobContexts(deps: JobContextDeps) {
  return async (key: RepositoryKey, branch: string | null): Promise<JobContext> => {
    let choices = await deps.store.branchChoices(key, deps.maxChoices)
    if (branch !== null && branch !== '' && !choices.includes(branch))
      choices = (choices.length === 0 ? [branch] : [choices[0]!, branch, ...choices.slice(1)]).slice(0, deps.maxChoices)
    const repoUrl = deps.remoteOf(key)
    const publicUrl = deps.publicUrl.replace(/\/+$/, '')
    return {
      branches: choices,
      defaults: {
        ...(repoUrl ? { REPO_URL: repoUrl } : {}),
        PROVIDER: key.provider,
        ...(publicUrl ? { CALLBACK_URL: `${publicUrl}/api/jenkins/callback` } : {}),
      },
    }
  }
}
