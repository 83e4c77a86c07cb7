// What bench:load reports beside throughput: how the cores were shared over a window (the replicas, this
// set-up's PostgreSQL backends, the bench process (the generator), the Jenkins emulator's process, the rest), the
// replicas' claims of shared work that came back empty, and the warnings and errors they logged.
import { readFileSync } from 'node:fs'
import type { TamerProcess } from '../test/support/burst.js'
import { backendsCpuSeconds, machineCpuSeconds, processCpuSeconds, type CpuGroup } from './cpu-limit.js'

export interface CpuSnapshot {
  replicas: number[]
  pg: number
  self: number
  emulator: number
  machine: { busy: number; total: number }
  throttled: { periods: number; throttled: number; throttledMs: number }[]
}

export function cpuSnapshot(
  procs: TamerProcess[],
  database: string | null,
  groups: CpuGroup[],
  emulatorPid: number | undefined,
): CpuSnapshot {
  const self = process.cpuUsage()
  return {
    replicas: procs.map((p) => processCpuSeconds(p.child?.pid)),
    pg: database ? backendsCpuSeconds(database) : 0,
    self: (self.user + self.system) / 1e6,
    emulator: processCpuSeconds(emulatorPid),
    machine: machineCpuSeconds(),
    throttled: groups.map((g) => g.throttled()),
  }
}

const cores = () => readFileSync('/proc/stat', 'utf8').match(/^cpu\d+ /gm)?.length || 1

/** CPUs (CPU seconds per second) each part used between two snapshots, and the share of periods out of quota. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): string {
  const wall = (b.machine.total - a.machine.total) / cores()
  const per = (x: number) => (x / wall).toFixed(2)
  const used = b.replicas.map((x, i) => x - a.replicas[i]!)
  const self = b.self - a.self
  const emulator = b.emulator - a.emulator
  const pg = b.pg - a.pg
  const rest = b.machine.busy - a.machine.busy - used.reduce((s, x) => s + x, 0) - self - emulator - pg
  const idle = b.machine.total - a.machine.total - (b.machine.busy - a.machine.busy)
  // Periods out of quota, and the time held back per second of wall time (cpu.stat's throttled_time, summed over
  // the cores the group had threads waiting on).
  const throttled = b.throttled.map((t, i) => {
    const periods = t.periods - a.throttled[i]!.periods
    const held = (t.throttledMs - a.throttled[i]!.throttledMs) / wall
    return `${periods ? Math.round((100 * (t.throttled - a.throttled[i]!.throttled)) / periods) : 0} % held ${held.toFixed(0)} ms/s`
  })
  return (
    `replicas ${used.map(per).join(' + ')}` +
    (throttled.length ? ` (periods out of quota ${throttled.join(', ')})` : '') +
    `, PostgreSQL backends ${per(pg)}, generator ${per(self)}, emulator ${per(emulator)}, other work ${per(rest)}, idle ${per(idle)}`
  )
}

/** A replica's /metrics ('' when it does not answer). Each read restarts its event-loop delay figures (prom-client). */
export const scrape = (p: TamerProcess): Promise<string> =>
  fetch(`${p.base}/metrics`).then(
    (r) => r.text(),
    () => '',
  )

/** The event loop's delay since the last scrape (p99 and max, ms), from prom-client's default metrics. */
export function loopDelay(text: string): { p99: number; max: number } {
  const get = (name: string) =>
    1000 * Number(new RegExp(`^tamer_nodejs_eventloop_lag_${name}_seconds (\\S+)`, 'm').exec(text)?.[1] ?? NaN)
  return { p99: get('p99'), max: get('max') }
}

/** A replica's tamer_work_claims_total so far, by `queue/outcome`. */
export async function claims(p: TamerProcess | string): Promise<Map<string, number>> {
  const text = typeof p === 'string' ? p : await scrape(p)
  const m = new Map<string, number>()
  for (const [, queue, outcome, n] of text.matchAll(
    /^tamer_work_claims_total\{queue="(\w+)",outcome="(\w+)"\} (\d+)/gm,
  ))
    m.set(`${queue}/${outcome}`, Number(n))
  return m
}

/** Claims with work / empty per replica between two readings of claims(). */
export function claimsBetween(before: Map<string, number>[], after: Map<string, number>[]): string {
  return after
    .map((m, r) =>
      ['deliveries', 'builds']
        .map((q) => {
          const n = (o: string) => (m.get(`${q}/${o}`) ?? 0) - (before[r]!.get(`${q}/${o}`) ?? 0)
          return `${q} ${n('work')}/${n('empty')}`
        })
        .join(', '),
    )
    .join('; ')
}

/** The warnings and errors a replica logged from line `from` on, counted by message (the most frequent first). */
export function logSummary(p: TamerProcess, from: number): string {
  const counts = new Map<string, number>()
  for (const line of p.logs.slice(from)) {
    try {
      const l = JSON.parse(line) as { level?: number; msg?: string; err?: unknown }
      // The error's message too (its first 120 characters): what failed, not only that something did.
      const err = typeof l.err === 'string' ? l.err : (l.err as { message?: string } | undefined)?.message
      const key = `${l.msg ?? '?'}${err ? ` (${err.slice(0, 120)})` : ''}`
      if ((l.level ?? 0) >= 40) counts.set(key, (counts.get(key) ?? 0) + 1)
    } catch {
      counts.set(line.slice(0, 100), (counts.get(line.slice(0, 100)) ?? 0) + 1)
    }
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([m, n]) => `${n} × ${m}`)
    .join('; ')
}
