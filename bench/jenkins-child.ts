// The Jenkins emulator of bench:dispatch and bench:load in its own process, as Jenkins is in production: its work (the
// queue's walk on every request) no longer shares the service's event loop. It tells the bench when each
// buildWithParameters arrives (by DELIVERY_ID) and, when asked, what it received.
import { realClock, startJenkinsEmulator } from '../src/demo/jenkins-emulator/index.js'

export interface JenkinsStats {
  requests: number
  triggers: number
  provisioning: number
  crumbs: number
  /** DELIVERY_IDs in a queue item (or build), and how many are in more than one */
  distinct: number
  doubled: number
}

export type FromJenkins =
  | { type: 'ready'; url: string }
  | { type: 'arrived'; ids: [string, number][] }
  | { type: 'stats'; stats: JenkinsStats }
  /** this process's CPU time so far (user + system, ms) */
  | { type: 'cpu'; ms: number }

/**
 * `--short`: builds of a second, left queue items forgotten after 5 s (Jenkins: 5 minutes). The emulator walks every
 * item it holds and every build of a job on each queue transition, so with minute-long builds and five minutes of
 * items its CPU grew with the rate times the run's length (bench:load: 0.3-0.7 CPU at 80-120 triggers/s), on the
 * cores the replicas and PostgreSQL share. For a bench that does not follow the builds (bench:load).
 */
const SHORT = process.argv.includes('--short')

async function main() {
  const jenkins = await startJenkinsEmulator({
    clock: realClock,
    quietPeriodSec: 0,
    defaultScenario: { durationMs: SHORT ? 1_000 : 60_000 },
    ...(SHORT ? { leftItemTtlMs: 5_000 } : {}),
  })
  const send = (m: FromJenkins) => process.send!(m)
  // Arrivals go out in small batches (one message per request would add IPC work to this process).
  let batch: [string, number][] = []
  let flush: NodeJS.Timeout | null = null
  jenkins.control.onRequest((r) => {
    if (!r.path.includes('/buildWithParameters')) return
    const id =
      new URLSearchParams(r.body).get('DELIVERY_ID') ?? new URL(r.path, jenkins.url).searchParams.get('DELIVERY_ID')
    if (!id) return
    batch.push([id, Date.now()])
    flush ??= setTimeout(() => {
      send({ type: 'arrived', ids: batch })
      batch = []
      flush = null
    }, 5)
  })
  process.on('message', async (m: string) => {
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage()
      send({ type: 'cpu', ms: (user + system) / 1000 })
    }
    if (m === 'stats') {
      const reqs = jenkins.state.requests
      const perDelivery = new Map<string, number>()
      for (const item of jenkins.state.queue.items) {
        const id = item.params?.find((p) => p.name === 'DELIVERY_ID')?.value
        if (typeof id === 'string') perDelivery.set(id, (perDelivery.get(id) ?? 0) + 1)
      }
      send({
        type: 'stats',
        stats: {
          requests: reqs.length,
          triggers: reqs.filter((r) => r.path.includes('/buildWithParameters')).length,
          provisioning: reqs.filter((r) => r.path.includes('config.xml') || r.path.includes('createItem')).length,
          crumbs: reqs.filter((r) => r.path.includes('crumbIssuer')).length,
          distinct: perDelivery.size,
          doubled: [...perDelivery.values()].filter((n) => n > 1).length,
        },
      })
    }
    if (m === 'close') {
      await jenkins.close()
      process.exit(0)
    }
  })
  send({ type: 'ready', url: jenkins.url })
}

void main()
