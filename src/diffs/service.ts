// The one way to get a delivery's push diffs, for pages, the JSON API, notices and precompute:
// recent results from memory, a computation already running shared (single flight), then the
// store, then git + the diff engine, saved for next time. A notebook too large to diff in time is
// an answer and is kept like any diff; a failure is never cached: the next caller tries again.
// Pages do not wait for long computations (`ready`): they say "in progress" and come back.
import { createHash } from 'node:crypto'
import type { Config } from '../config/schema.js'
import { NotAPushError } from '../errors.js'
import type { PushEvent } from '../events/model.js'
import type { MirrorCache } from '../git/mirror.js'
import { DEFAULT_PUSH_DIFF_LIMITS, diffPush, engineFailedOn, type PushDiffLimits } from './push-diff.js'
import type { DiffEngine } from '../engines/types.js'
import { DEFAULT_MAX_LINE_CHARS, DEFAULT_MAX_LINE_PAIRS, type DiffOptions } from '../notebooks/core/index.js'
import type { PushDiff } from './model.js'
import type { PushDiffStore } from '../store/push-diffs.js'
import type { StoredDelivery } from '../store/store.js'
import { compressPushDiffs, decodePushDiffs, PUSH_DIFF_FORMAT, serializePushDiffs } from './codec.js'

/** pino's and Fastify's loggers both fit; a child per delivery is made from it (`{ deliveryId }`). */
export interface WarnLogger {
  warn(obj: object, msg: string): void
  child(bindings: { deliveryId: string }): WarnLogger
}

export interface PushDiffServiceDeps {
  mirrors: MirrorCache
  engine: DiffEngine
  /** null: nothing is stored, recent diffs are only kept in memory. */
  store: PushDiffStore | null
  limits?: PushDiffLimits
  /** Serialized diffs larger than this are not stored (0: none are); memory still keeps recent ones. */
  storeMaxBytes: number
  /** Most deliveries kept in memory (default 16). */
  memoryEntries?: number
  /** Most serialized bytes kept in memory (default 128 MB); a larger diff alone is not kept. */
  memoryBytes?: number
  /** Caps of the native engine's line alignment and character diffs (defaults: the core's). */
  caps?: DiffCaps
  logger: WarnLogger
  /** Told after each diff made (not read back): how it ended, its time and serialized size (for /metrics). */
  made?: (outcome: 'ok' | 'error', seconds: number, bytes: number | null) => void
}

export type DiffCaps = Pick<DiffOptions, 'maxLinePairs' | 'maxLineChars'>

export interface PushDiffService {
  /** The store key's second half: engine, its time limit, limits, caps and format. */
  readonly variant: string
  /** One PushDiff per push event of the delivery. Throws NotAPushError, or GitFailedError when git fails. */
  diffsOf(delivery: StoredDelivery): Promise<PushDiff[]>
  /**
   * The diffs when they are ready within `waitMs` (memory and the store do not count against it),
   * else null: the computation goes on and a later call finds its result. A failure that ended
   * after its callers stopped waiting is thrown to the next `ready` call, once; the one after
   * tries again.
   */
  ready(delivery: StoredDelivery, waitMs: number): Promise<PushDiff[] | null>
  /** Whether the delivery's diff is being computed now. */
  computing(deliveryId: string): boolean
}

export function pushEventsOf(delivery: Pick<StoredDelivery, 'normalized'>): PushEvent[] {
  return delivery.normalized.kind === 'events'
    ? // A run (issue #14) changes nothing: its before is its after, there is no diff to make.
      delivery.normalized.events.filter((e): e is PushEvent => e.kind === 'push' && e.run === undefined)
    : []
}

/**
 * Engine + a hash of its time limit, the resolved limits and caps + the codec's format, e.g. `native-3f2a9c1b7d04-f2`.
 */
export function pushDiffVariant(engine: DiffEngine, limits: Required<PushDiffLimits>, caps: DiffCaps = {}): string {
  const all: Record<string, number | null> = {
    ...limits,
    maxLinePairs: caps.maxLinePairs ?? DEFAULT_MAX_LINE_PAIRS,
    maxLineChars: caps.maxLineChars ?? DEFAULT_MAX_LINE_CHARS,
    timeLimitMs: engine.timeLimitMs ?? null,
  }
  const keys = Object.keys(all).sort()
  const hash = createHash('sha256')
    .update(JSON.stringify(keys.map((k) => [k, all[k]])))
    .digest('hex')
    .slice(0, 12)
  return `${engine.name}-${hash}-f${PUSH_DIFF_FORMAT}`
}

/** How long a failure no caller waited for is kept for the next page view (then it is retried). */
const UNSEEN_FAILURE_MS = 10 * 60 * 1000
const UNSEEN_FAILURES_KEPT = 256

interface Remembered {
  pushes: PushDiff[]
  bytes: number
  /** False when a notebook's diff failed in the engine (e.g. its time limit): shown once, made again next time. */
  keep: boolean
}

export function createPushDiffService(deps: PushDiffServiceDeps): PushDiffService {
  const limits: Required<PushDiffLimits> = { ...DEFAULT_PUSH_DIFF_LIMITS }
  for (const [k, v] of Object.entries(deps.limits ?? {}) as [keyof PushDiffLimits, number | undefined][])
    if (v !== undefined) limits[k] = v
  const caps: DiffCaps = { ...deps.caps }
  const variant = pushDiffVariant(deps.engine, limits, caps)
  const memoryEntries = deps.memoryEntries ?? 16
  const memoryBytes = deps.memoryBytes ?? 128 * 2 ** 20
  const memory = new Map<string, Remembered>()
  let memoryUsed = 0
  const inflight = new Map<string, Promise<PushDiff[]>>()
  const unseen = new Map<string, { err: unknown; at: number }>()

  const remember = (id: string, entry: Remembered) => {
    if (entry.bytes > memoryBytes) return
    forget(id)
    memory.set(id, entry)
    memoryUsed += entry.bytes
    while (memory.size > memoryEntries || memoryUsed > memoryBytes) forget(memory.keys().next().value!)
  }
  const forget = (id: string) => {
    const old = memory.get(id)
    if (!old) return
    memory.delete(id)
    memoryUsed -= old.bytes
  }

  const fromStore = async (id: string): Promise<Remembered | null> => {
    if (!deps.store) return null
    const row = await deps.store.getPushDiff(id, variant)
    if (!row) return null
    try {
      return { pushes: await decodePushDiffs(row.payload), bytes: row.rawBytes, keep: true }
    } catch (err) {
      // Computed again below, and the save replaces the row.
      deps.logger
        .child({ deliveryId: id })
        .warn({ variant, reason: (err as Error).message }, 'stored push diff unreadable; diffing again')
      return null
    }
  }

  const compute = async (delivery: StoredDelivery, pushes: PushEvent[]): Promise<Remembered> => {
    const started = performance.now()
    const made = await make(delivery, pushes).catch((err: unknown) => {
      deps.made?.('error', (performance.now() - started) / 1000, null)
      throw err
    })
    deps.made?.('ok', (performance.now() - started) / 1000, Number.isFinite(made.bytes) ? made.bytes : null)
    return made
  }
  const make = async (delivery: StoredDelivery, pushes: PushEvent[]): Promise<Remembered> => {
    const diffs = await Promise.all(
      pushes.map((p) => {
        // The URL derived for the push's repository on a configured host, never the payload's own.
        const cloneUrl = deps.mirrors.remoteOf(p)
        return diffPush(deps.mirrors, deps.engine, {
          cloneUrl,
          repository: p.repository.fullName,
          ref: p.ref,
          before: p.before,
          after: p.after,
          defaultBranch: p.repository.defaultBranch,
          limits,
          options: caps,
          tenant: p.tenant,
        })
      }),
    )
    const keep = !diffs.some((d) => d.files.some(engineFailedOn))
    const serialized = keep ? serializePushDiffs(diffs) : null
    const bytes = serialized?.length ?? Infinity
    if (serialized && deps.store && bytes <= deps.storeMaxBytes) {
      try {
        await deps.store.savePushDiff({
          deliveryId: delivery.id,
          variant,
          payload: await compressPushDiffs(serialized),
          rawBytes: bytes,
        })
      } catch (err) {
        // The diff is good; only keeping it failed. The next view after it leaves memory diffs again.
        deps.logger.child({ deliveryId: delivery.id }).warn({ reason: (err as Error).message }, 'push diff not stored')
      }
    }
    return { pushes: diffs, bytes, keep }
  }

  const load = async (delivery: StoredDelivery, pushes: PushEvent[], storeChecked: boolean): Promise<PushDiff[]> => {
    const entry = (storeChecked ? null : await fromStore(delivery.id)) ?? (await compute(delivery, pushes))
    if (entry.keep) remember(delivery.id, entry)
    // A later success (precompute, a notice) makes an earlier failure old news.
    unseen.delete(delivery.id)
    return entry.pushes
  }

  /** The running computation of the delivery, or a new one. */
  const flight = (delivery: StoredDelivery, pushes: PushEvent[], storeChecked = false): Promise<PushDiff[]> => {
    let pending = inflight.get(delivery.id)
    if (!pending) {
      pending = load(delivery, pushes, storeChecked).finally(() => inflight.delete(delivery.id))
      inflight.set(delivery.id, pending)
    }
    return pending
  }

  const fromMemory = (id: string): PushDiff[] | null => {
    const recent = memory.get(id)
    if (!recent) return null
    remember(id, recent)
    return recent.pushes
  }

  const pushesOf = (delivery: StoredDelivery): PushEvent[] => {
    const pushes = pushEventsOf(delivery)
    if (pushes.length === 0) throw new NotAPushError(delivery.id)
    return pushes
  }

  const noteUnseen = (id: string, err: unknown) => {
    unseen.delete(id)
    unseen.set(id, { err, at: Date.now() })
    if (unseen.size > UNSEEN_FAILURES_KEPT) unseen.delete(unseen.keys().next().value!)
  }

  return {
    variant,
    async diffsOf(delivery) {
      const pushes = pushesOf(delivery)
      return fromMemory(delivery.id) ?? flight(delivery, pushes)
    },
    async ready(delivery, waitMs) {
      const pushes = pushesOf(delivery)
      const recent = fromMemory(delivery.id)
      if (recent) return recent
      const failed = unseen.get(delivery.id)
      if (failed) {
        unseen.delete(delivery.id)
        if (Date.now() - failed.at < UNSEEN_FAILURE_MS) throw failed.err
      }
      let pending = inflight.get(delivery.id)
      if (!pending) {
        // The store answers in milliseconds whatever waitMs is: only computing is worth a 202.
        const stored = await fromStore(delivery.id)
        if (stored) {
          remember(delivery.id, stored)
          return stored.pushes
        }
        const meanwhile = fromMemory(delivery.id)
        if (meanwhile) return meanwhile
        pending = flight(delivery, pushes, true)
      }
      let timer: NodeJS.Timeout | undefined
      const gaveUp = Symbol('gave up')
      const waited = await Promise.race([
        pending,
        new Promise<typeof gaveUp>((resolve) => (timer = setTimeout(() => resolve(gaveUp), waitMs))),
      ]).finally(() => clearTimeout(timer))
      if (waited !== gaveUp) return waited
      // Whoever comes back for this page learns of a failure that happens meanwhile.
      pending.catch((err: unknown) => noteUnseen(delivery.id, err))
      return null
    },
    computing(deliveryId) {
      return inflight.has(deliveryId)
    },
  }
}

/** The service as the composition root (src/compose/) sets it up from `diffs.*`. */
export function pushDiffServiceFromConfig(
  config: Pick<Config, 'diffs'>,
  o: {
    mirrors: MirrorCache
    engine: DiffEngine
    store: PushDiffStore | null
    logger: WarnLogger
    made?: PushDiffServiceDeps['made']
  },
): PushDiffService {
  return createPushDiffService({
    ...o,
    limits: { maxNotebookBytes: config.diffs.maxNotebookBytes, maxFiles: config.diffs.maxFiles },
    caps: { maxLinePairs: config.diffs.maxLinePairs, maxLineChars: config.diffs.maxLineChars },
    storeMaxBytes: config.diffs.storeMaxBytes,
  })
}
