// BENCH_REPLICA_CPU for bench:load: each `tamer serve` replica (the whole process, its worker threads
// too) in a cgroup of its own with a CFS quota of that many CPUs, as Kubernetes' resources.limits.cpu
// sets one, so a second replica brings CPU of its own instead of sharing the first one's. cgroup v1's
// cpu controller (cpu.cfs_quota_us over cpu.cfs_period_us; writing a pid to cgroup.procs moves every
// thread of it, and threads made later start in the group):
// https://docs.kernel.org/scheduler/sched-bwc.html
// https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#how-pods-with-resource-limits-are-run
// Also the CPU time of processes (/proc/<pid>/stat) and of the machine (/proc/stat), to say how the
// cores were shared during a run.
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { exitOnInterrupt } from './interrupt.js'

const ROOT = '/sys/fs/cgroup/cpu'
const PERIOD_US = 100_000
/**
 * The group's weight against the machine's other runnable processes (1024 each at nice 0): that of 16 of
 * them, so the replica gets its quota while other work keeps the cores busy, as a node gives a pod the CPU it
 * requests (Kubernetes' requests = limits). The quota still caps it.
 */
const SHARES = 16 * 1024
/** Linux's USER_HZ: /proc's CPU times are in these ticks. */
const TICKS_PER_SECOND = 100

export interface CpuGroup {
  readonly path: string
  /** Moves the process (every thread of it) into the group. */
  add(pid: number): void
  /** cpu.stat: periods with the group runnable, periods it ran out of quota in, time held back (ms). */
  throttled(): { periods: number; throttled: number; throttledMs: number }
  /** Moves whatever is left back to the root group and removes the group. */
  remove(): void
}

/** Why BENCH_REPLICA_CPU cannot be honoured here, or null when it can. */
export function cpuLimitUnavailable(): string | null {
  if (process.platform !== 'linux') return `cgroups are Linux's (this is ${process.platform})`
  if (!existsSync(join(ROOT, 'cpu.cfs_quota_us')))
    return `no cgroup v1 cpu controller at ${ROOT} (cgroup v2 alone is not supported by this bench)`
  try {
    accessSync(ROOT, constants.W_OK)
  } catch {
    return `${ROOT} is not writable (run as root)`
  }
  return null
}

const groups = new Set<CpuGroup>()
let hooked = false

/**
 * A group of `cpus` CPUs (0.5: 50 ms of every 100 ms period); 0: no quota, the weight alone (what the bench gives
 * PostgreSQL, the emulator and itself, so other work on the machine does not starve them). Removed at exit if the
 * caller did not.
 */
export function createCpuGroup(label: string, cpus: number): CpuGroup {
  const path = join(ROOT, `tamer-bench-${process.pid}-${label}`)
  mkdirSync(path)
  writeFileSync(join(path, 'cpu.cfs_period_us'), String(PERIOD_US))
  writeFileSync(join(path, 'cpu.cfs_quota_us'), cpus > 0 ? String(Math.round(cpus * PERIOD_US)) : '-1')
  writeFileSync(join(path, 'cpu.shares'), String(SHARES))
  const group: CpuGroup = {
    path,
    add: (pid) => writeFileSync(join(path, 'cgroup.procs'), String(pid)),
    throttled() {
      const stat = readFileSync(join(path, 'cpu.stat'), 'utf8')
      const field = (k: string) => Number(new RegExp(`^${k} (\\d+)`, 'm').exec(stat)?.[1] ?? NaN)
      return {
        periods: field('nr_periods'),
        throttled: field('nr_throttled'),
        throttledMs: field('throttled_time') / 1e6,
      }
    },
    remove() {
      if (!groups.delete(group)) return
      // A task still exiting (a backend of a database just dropped) keeps the group busy for a moment.
      for (let attempt = 1; ; attempt++)
        try {
          for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
            try {
              writeFileSync(join(ROOT, 'cgroup.procs'), pid)
            } catch {
              // ended since the listing
            }
          rmdirSync(path)
          return
        } catch (err) {
          if (attempt < 20) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
          else return console.error(`could not remove ${path}: ${(err as Error).message}`)
        }
    },
  }
  groups.add(group)
  if (!hooked) {
    hooked = true
    process.once('exit', () => [...groups].forEach((g) => g.remove()))
    // Interrupted (Ctrl-C, a timeout's SIGTERM): the bench's children stopped, then exit, so the exit hook
    // removes the groups. SIGKILL leaves them: rmdir /sys/fs/cgroup/cpu/tamer-bench-* once their processes are gone.
    exitOnInterrupt()
  }
  return group
}

/** CPU seconds a process has used (user + system, every thread), NaN once it is gone. */
export function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN
  try {
    // Fields after the command (which may hold spaces) close with ')': utime and stime are fields 14 and 15.
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND
  } catch {
    return NaN
  }
}

/** The PostgreSQL backends serving one database (their command line names it). */
export function backendPids(database: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmd.startsWith('postgres: ') && cmd.split(' ').includes(database)) pids.push(Number(entry))
    } catch {
      // gone since the listing
    }
  }
  return pids
}

/** CPU seconds of the PostgreSQL backends serving one database. */
export function backendsCpuSeconds(database: string): number {
  return backendPids(database).reduce((sum, pid) => sum + (processCpuSeconds(pid) || 0), 0)
}

/** Moves the backends of `database` not in the group yet into it (a pool opens connections as it needs them). */
export function adoptBackends(group: CpuGroup, database: string): void {
  const inside = new Set(readFileSync(join(group.path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number))
  for (const pid of backendPids(database))
    if (!inside.has(pid))
      try {
        group.add(pid)
      } catch {
        // ended since the listing
      }
}

/** The machine's CPU seconds since boot: busy (all but idle and iowait) and all, over every core. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0)
  const idle = cpu[3]! + cpu[4]!
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND }
}
