// The service's Prometheus metrics (issue #16), with prom-client on a registry of their own (two
// services in one process, as tests run them, never share counts). Units report through the
// functions below, which the composition root (src/compose/) hands them as plain callbacks; the
// queues and dead letters are read from the store on each scrape. Names and units follow
// https://prometheus.io/docs/practices/naming/ (a `_total` counter, `_seconds`, `_bytes`).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { OpsStore } from '../store/ops.js'
import type { NewDelivery } from '../store/store.js'

/** How a delivery's request ended at intake. */
export type DeliveryOutcome =
  'stored' | 'duplicate' | 'unauthorized' | 'bad-request' | 'rate-limited' | 'unavailable' | 'error'

/**
 * A stored delivery's `event` label: the kind it normalized to (`push`, `pull_request`, `ping`, `ignored`,
 * `none`), never its event header, which no provider's signature covers (a captured body re-sent with a new
 * header and delivery id is stored again) and which would otherwise mint a new series per value, kept forever.
 */
export function deliveryEventLabel(d: Pick<NewDelivery, 'normalized'>): string {
  return d.normalized.kind === 'events' ? (d.normalized.events[0]?.kind ?? 'none') : d.normalized.kind
}

/** Who Tamer talks to: Jenkins, a mail server, a chat webhook, a git host's API. */
export type Peer = 'jenkins' | 'smtp' | 'chat' | 'git-host'

export interface ServiceMetrics {
  readonly registry: Registry
  /** One delivery: provider, its kind (deliveryEventLabel; `unverified` for a refusal) and how it ended. */
  delivery(provider: string, event: string, outcome: DeliveryOutcome): void
  /** One webhook request's time to its answer: the route's host and `accepted` or the refusal. */
  intake(host: string, outcome: string, seconds: number): void
  /** A delivery's commit: the time recordDelivery took (its share of a group commit). */
  storeCommit(seconds: number): void
  /** One pipeline step: route, trigger, follow-queue, follow-build; `retry` when it ran on a build waiting to retry. */
  step(step: string, outcome: 'ok' | 'error', seconds: number, retry: boolean): void
  /** One request to a peer: op (Jenkins' call, a channel kind, a host's provider) and how it ended. */
  request(peer: Peer, op: string, outcome: string, seconds: number): void
  /** One claim of shared work (PostgreSQL): its queue and whether it came back with rows or empty. */
  claim(queue: 'deliveries' | 'builds', rows: number): void
  /** One push diff made: how long and how large (serialized bytes; none when it failed). */
  diff(outcome: 'ok' | 'error', seconds: number, bytes: number | null): void
  /** The text exposition (for GET /metrics). */
  scrape(): Promise<string>
  readonly contentType: string
}

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const SLOW = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

export interface ServiceMetricsOptions {
  store: OpsStore
  now?: () => number
  /** Node's process metrics (CPU, memory, event loop lag, GC, handles); default true. */
  processMetrics?: boolean
}

export function createServiceMetrics(o: ServiceMetricsOptions): ServiceMetrics {
  const registry = new Registry()
  const now = o.now ?? Date.now
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'tamer_' })
  const registers = [registry]

  const deliveries = new Counter({
    name: 'tamer_deliveries_total',
    help: 'Webhook deliveries answered, by provider, event type and outcome',
    labelNames: ['provider', 'event', 'outcome'] as const,
    registers,
  })
  const intake = new Histogram({
    name: 'tamer_intake_duration_seconds',
    help: 'Time from a webhook request to its answer, by route (/hooks/<host>) and outcome',
    labelNames: ['host', 'outcome'] as const,
    buckets: LATENCY,
    registers,
  })
  const commit = new Histogram({
    name: 'tamer_store_commit_duration_seconds',
    help: 'Time a delivery waited for its durable commit (the group commit it joined)',
    buckets: LATENCY,
    registers,
  })
  const steps = new Histogram({
    name: 'tamer_pipeline_step_duration_seconds',
    help: 'Pipeline steps, by step and outcome',
    labelNames: ['step', 'outcome'] as const,
    buckets: SLOW,
    registers,
  })
  const retries = new Counter({
    name: 'tamer_pipeline_step_retries_total',
    help: 'Pipeline steps run again on a build whose earlier attempt failed, by step',
    labelNames: ['step'] as const,
    registers,
  })
  const requests = new Histogram({
    name: 'tamer_outbound_request_duration_seconds',
    help: 'Requests to Jenkins, mail servers, chat webhooks and git hosts, by peer, operation and outcome',
    labelNames: ['peer', 'op', 'outcome'] as const,
    buckets: SLOW,
    registers,
  })
  // Claims that come back empty are the cost of a wake-up (NOTIFY, a poll) with nothing left for this replica.
  const claims = new Counter({
    name: 'tamer_work_claims_total',
    help: 'Claims of shared work (several replicas on PostgreSQL), by queue and outcome (work or empty)',
    labelNames: ['queue', 'outcome'] as const,
    registers,
  })
  const diffs = new Histogram({
    name: 'tamer_diff_duration_seconds',
    help: 'Push diffs made (git and the notebook diff engine), by outcome',
    labelNames: ['outcome'] as const,
    buckets: SLOW,
    registers,
  })
  const diffBytes = new Histogram({
    name: 'tamer_diff_size_bytes',
    help: 'Serialized size of the push diffs made',
    buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 1e8],
    registers,
  })

  // The queues, read from the store on each scrape (one indexed count per queue and state).
  const depth = new Gauge({
    name: 'tamer_queue_depth',
    help: 'Rows waiting in each durable queue, by queue and state',
    labelNames: ['queue', 'state'] as const,
    registers,
  })
  const oldest = new Gauge({
    name: 'tamer_queue_oldest_age_seconds',
    help: 'Age of the oldest row waiting in each durable queue, by queue and state (0 when empty)',
    labelNames: ['queue', 'state'] as const,
    registers,
  })
  const dead = new Gauge({
    name: 'tamer_dead_letters',
    help: 'Work given up on, by queue: dead notices and host posts, refused builds, failed deliveries (`tamer dead-letters`)',
    labelNames: ['queue'] as const,
    registers,
  })
  const readQueues = async () => {
    const stats = await o.store.queueStats()
    const t = now()
    for (const s of stats) {
      if (s.state === 'dead' || s.state === 'refused' || s.state === 'failed') {
        dead.set({ queue: s.queue }, s.depth)
        continue
      }
      const at = s.oldestAt === null ? NaN : Date.parse(s.oldestAt)
      depth.set({ queue: s.queue, state: s.state }, s.depth)
      oldest.set({ queue: s.queue, state: s.state }, Number.isNaN(at) ? 0 : Math.max(0, (t - at) / 1000))
    }
  }

  return {
    registry,
    contentType: registry.contentType,
    delivery: (provider, event, outcome) => deliveries.inc({ provider, event, outcome }),
    intake: (host, outcome, seconds) => intake.observe({ host, outcome }, seconds),
    storeCommit: (seconds) => commit.observe(seconds),
    step(step, outcome, seconds, retry) {
      steps.observe({ step, outcome }, seconds)
      if (retry) retries.inc({ step })
    },
    request: (peer, op, outcome, seconds) => requests.observe({ peer, op, outcome }, seconds),
    claim: (queue, rows) => claims.inc({ queue, outcome: rows > 0 ? 'work' : 'empty' }),
    diff(outcome, seconds, bytes) {
      diffs.observe({ outcome }, seconds)
      if (bytes !== null && Number.isFinite(bytes)) diffBytes.observe(bytes)
    },
    async scrape() {
      await readQueues()
      return registry.metrics()
    },
  }
}

/** Seconds since a `performance.now()` reading. */
export const secondsSince = (start: number) => (performance.now() - start) / 1000
