// Scheduled runs (issue #14): a rule's `schedules` (cron expressions in a time zone, croner's
// syntax: https://croner.56k.guru/usage/pattern/) run the rule on each known repository it matches,
// on the default branch or the schedule's own. Durable: the last slot run is kept per schedule, so
// a restart after missed slots runs the latest one once, not once per slot; and each run's dedupe
// key names its slot, so a slot runs once even if Tamer dies between the run and the record, or
// two replicas reach it together.
import { Cron } from 'croner'
import type { Logger } from 'pino'
import type { Config, ScheduleConfig } from '../config/schema.js'
import { ConfigError } from '../errors.js'
import type { BranchStore, RepositoryRecord } from '../store/branches.js'
import { realTimers, type Timers } from '../work/timers.js'
import { ruleName } from './rules.js'
import { runnableParameters, type RunAccepted, type RunTarget } from './runs.js'

export interface Schedule {
  /** `<rule>#<index>`: what the last slot is kept under. */
  key: string
  rule: string
  config: ScheduleConfig
  cron: Cron
}

/** Every rule's schedules; an invalid expression or zone is a ConfigError naming the rule. */
export function schedulesOf(config: Pick<Config, 'rules'>): Schedule[] {
  return config.rules.flatMap((rule, i) =>
    (rule.schedules ?? []).map((s, j) => {
      const name = ruleName(rule, i)
      const key = `rules.${i}.schedules.${j}`
      let cron: Cron
      try {
        cron = new Cron(s.cron, { timezone: s.timezone, paused: true })
        cron.nextRun()
      } catch (err) {
        throw new ConfigError(
          `${key}`,
          `rule ${name}: ${JSON.stringify(s.cron)} in ${s.timezone}: ${(err as Error).message}`,
        )
      }
      const allowed = runnableParameters(rule)
      for (const p of Object.keys(s.parameters ?? {}))
        if (!allowed.has(p)) throw new ConfigError(`${key}.parameters.${p}`, `rule ${name} does not let a run set ${p}`)
      return { key: `${name}#${j}`, rule: name, config: s, cron }
    }),
  )
}

export interface SchedulerDeps {
  schedules: readonly Schedule[]
  store: Pick<BranchStore, 'scheduleSlot' | 'recordScheduleSlot' | 'listRepositories'>
  run: (t: RunTarget) => Promise<RunAccepted>
  logger: Logger
  now?: () => number
  timers?: Timers
}

export interface Scheduler {
  start(): void
  /** Runs every schedule whose latest slot (≤ now) has not run; returns the runs stored. */
  runDue(): Promise<number>
  stop(): Promise<void>
}

/** Longest wait between two looks, so a clock that jumps (suspend, NTP) is noticed within it. */
const MAX_WAIT_MS = 15 * 60_000

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const now = deps.now ?? Date.now
  const timers = deps.timers ?? realTimers
  let timer: unknown = null
  let stopped = false
  let running: Promise<number> | null = null

  async function repositories(): Promise<RepositoryRecord[]> {
    const all: RepositoryRecord[] = []
    for (let before: number | undefined; ;) {
      const page = await deps.store.listRepositories({ before, limit: 200 })
      all.push(...page)
      if (page.length < 200) return all
      before = page[page.length - 1]!.seq
    }
  }

  async function runSlot(s: Schedule, slot: string): Promise<number> {
    let stored = 0
    for (const r of await repositories()) {
      const branch = s.config.branch ?? r.defaultBranch
      if (!branch) continue
      try {
        const a = await deps.run({
          repository: r.repository,
          provider: r.provider,
          tenants: [r.tenant],
          branch,
          rule: s.rule,
          parameters: s.config.parameters,
          by: 'schedule',
          actor: `schedule:${s.key}`,
          key: `schedule:${s.key}@${slot}:${r.provider}:${r.repository}`,
        })
        if (!a.duplicate) stored++
        deps.logger.info({ schedule: s.key, slot, deliveryId: a.deliveryId, repository: r.repository }, 'scheduled run')
      } catch (err) {
        // The rule does not apply to this repository, or the branch is gone: nothing to run there.
        const code = (err as { code?: string }).code
        if (code !== 'TAMER_BAD_RUN_REQUEST')
          deps.logger.warn(
            { schedule: s.key, slot, repository: r.repository, err: (err as Error).message },
            'scheduled run not started',
          )
      }
    }
    return stored
  }

  async function pass(): Promise<number> {
    const t = now()
    let stored = 0
    for (const s of deps.schedules) {
      // croner counts in whole seconds and looks strictly before its reference: a second later takes the slot at t.
      const latest = s.cron.previousRuns(1, new Date(t + 1000))[0]
      if (!latest) continue
      const slot = latest.toISOString()
      const last = await deps.store.scheduleSlot(s.key)
      if (last === null) {
        // A schedule Tamer has not seen before starts from now: no run for the slots before it.
        await deps.store.recordScheduleSlot(s.key, slot)
        continue
      }
      if (last >= slot) continue
      // Only the latest missed slot runs: a week down is one nightly run, not seven.
      stored += await runSlot(s, slot)
      await deps.store.recordScheduleSlot(s.key, slot)
    }
    return stored
  }

  function arm(): void {
    if (stopped) return
    const t = now()
    const next = Math.min(
      t + MAX_WAIT_MS,
      ...deps.schedules.map((s) => s.cron.nextRun(new Date(t))?.getTime() ?? Infinity),
    )
    if (timer !== null) timers.clear(timer)
    timer = timers.set(() => ((timer = null), void runDue()), Math.max(1000, next - t))
  }

  function runDue(): Promise<number> {
    if (running) return running
    running = pass()
      .catch((err: unknown) => (deps.logger.error({ err }, 'schedule pass failed'), 0))
      .finally(() => {
        running = null
        arm()
      })
    return running
  }

  return {
    start() {
      if (deps.schedules.length > 0) void runDue()
    },
    runDue,
    async stop() {
      stopped = true
      if (timer !== null) timers.clear(timer)
      timer = null
      await running
    },
  }
}
