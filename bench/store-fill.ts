// The store bench:list and bench:console time against: a SQLite file filled in one transaction of direct
// inserts into the store's own schema (deterministic, so runs compare). 20 tenants, 2,000 repositories
// (a few busy, many quiet), four providers; builds and notifications point at earlier rows.
import { randomUUID } from 'node:crypto'
import type BetterSqlite3 from 'better-sqlite3'
import { BUILD_STATES } from '../src/store/builds.js'
import { NOTIFICATION_STATES } from '../src/store/notifications.js'
import { packEvents } from '../src/store/sqlite/delivery-row.js'
import { normalizeGitHub } from '../src/providers/github/normalize.js'
import { githubPush } from '../test/support/payloads.js'

export interface FillCounts {
  deliveries: number
  builds: number
  notifications: number
}

export const TENANTS = 20
export const REPOS = 2000
export const JOBS = 50
export const PROVIDERS = ['github', 'gitlab', 'bitbucket-cloud', 'bitbucket-server'] as const

// Deterministic, so runs compare (mulberry32).
let seed = 12
export function random(): number {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Repository r: a few busy ones (repository 0 holds ~2 % of all deliveries), many quiet. */
export const repoOf = () => Math.floor(REPOS * random() ** 2)
export const repoName = (r: number) => `org-${r % TENANTS}/repo-${r}`
export const tenantOf = (r: number) => `t${r % TENANTS}`
export const providerOf = (r: number) =>
  r % 25 < 17 ? 'github' : r % 25 < 22 ? 'gitlab' : r % 25 < 24 ? 'bitbucket-cloud' : 'bitbucket-server'
export const pick = <T>(weights: [T, number][]): T => {
  let u = random()
  for (const [value, w] of weights) if ((u -= w) < 0) return value
  return weights.at(-1)![0]
}

/** A push of about 8.5 KB (as bench:intake's) and its normalized events, as intake stores them. */
function pushTemplate() {
  const base = githubPush()
  const commits = Array.from({ length: 9 }, (_, i) => ({
    ...base.commits[0]!,
    id: `${i}`.padStart(40, 'f'),
    message: `Commit ${i}: retrain, re-evaluate and update the notebooks`,
    added: [`notebooks/exp-${i}.ipynb`, `data/features-${i}.parquet`],
    modified: ['notebooks/train.ipynb', 'requirements.txt', 'src/model/features.py', 'src/model/train.py'],
  }))
  const payload = { ...base, commits }
  const at = new Date().toISOString()
  const normalized = normalizeGitHub(
    payload,
    { provider: 'github', eventType: 'push', hostDeliveryId: randomUUID(), dedupeKey: 'x' },
    { tenantOf: () => 't0', receivedAt: at },
  )
  return {
    body: Buffer.from(JSON.stringify(payload)),
    normalized: JSON.stringify(normalized),
    name: base.repository.full_name,
  }
}

export function fill(db: BetterSqlite3.Database, counts: FillCounts) {
  const { deliveries: DELIVERIES, builds: BUILDS, notifications: NOTIFICATIONS } = counts
  const push = pushTemplate()
  // Deflated, as the writer stores them (one per repository name: 2,000, not 500,000, deflates).
  const packed = new Map<string, Buffer>()
  const eventsOf = (name: string) => {
    if (!packed.has(name)) packed.set(name, packEvents(push.normalized.replaceAll(push.name, name)))
    return packed.get(name)!
  }
  const headers = JSON.stringify({
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-hook-id': '1',
  })
  const delivery = db.prepare(
    `INSERT INTO deliveries (id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status, headers, body, normalized, received_at, updated_at)
     VALUES (?, ?, ?, ?, 'push', ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const build = db.prepare(
    `INSERT INTO builds (id, delivery_id, event_index, rule, job, template, tenant, repository, parameters, delivery_param, state, accepted_at, created_at, updated_at, provider, ref, branch, commit_sha)
     VALUES (?, ?, 0, 'ds', ?, 'tests-only', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'refs/heads/main', 'main', ?)`,
  )
  const notification = db.prepare(
    `INSERT INTO notifications (id, build_id, tenant, repository, branch, channel, kind, outcome, recipients, subject, payload, state, attempts, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'main', 'mail', 'build', 'failure', '["ada@example.com"]', ?, '{"text":"…"}', ?, 1, ?, ?)`,
  )
  const deliveries: { id: string; r: number }[] = []
  const builds: { id: string; r: number }[] = []
  const t0 = Date.now()
  db.transaction(() => {
    for (let i = 0; i < DELIVERIES; i++) {
      const r = repoOf()
      const id = randomUUID()
      const at = new Date(t0 - (DELIVERIES - i) * 1000).toISOString()
      const status =
        i >= DELIVERIES - 50
          ? 'pending'
          : pick<string>([
              ['processed', 0.8],
              ['ignored', 0.15],
              ['failed', 0.03],
              ['ping', 0.02],
            ])
      const name = repoName(r)
      delivery.run(id, providerOf(r), id, id, tenantOf(r), name, status, headers, push.body, eventsOf(name), at, at)
      deliveries.push({ id, r })
    }
    for (let i = 0; i < BUILDS; i++) {
      const d = deliveries[Math.floor((i * DELIVERIES) / BUILDS)]!
      const id = randomUUID()
      const at = new Date(t0 - (BUILDS - i) * 2000).toISOString()
      const state =
        i >= BUILDS - 100
          ? BUILD_STATES[i % 5]!
          : pick<string>([
              ['finished', 0.9],
              ['not-triggered', 0.05],
              ['cancelled', 0.03],
              ['lost', 0.02],
            ])
      const job = `ci-${d.r % JOBS}`
      build.run(
        id,
        d.id,
        job,
        tenantOf(d.r),
        repoName(d.r),
        JSON.stringify({ DELIVERY_ID: id, BRANCH: 'main' }),
        id,
        state,
        t0,
        at,
        at,
        providerOf(d.r),
        `${i}`.padStart(40, 'a'),
      )
      builds.push({ id, r: d.r })
    }
    for (let i = 0; i < NOTIFICATIONS; i++) {
      const b = builds[Math.floor((i * BUILDS) / NOTIFICATIONS)]!
      const at = new Date(t0 - (NOTIFICATIONS - i) * 10_000).toISOString()
      const state =
        i >= NOTIFICATIONS - 20
          ? NOTIFICATION_STATES[i % 2]!
          : pick<string>([
              ['sent', 0.96],
              ['dead', 0.04],
            ])
      notification.run(randomUUID(), b.id, tenantOf(b.r), repoName(b.r), `${repoName(b.r)}: main failed`, state, at, at)
    }
  })()
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}

export const fmt = (ms: number) => ms.toFixed(1).padStart(6)
