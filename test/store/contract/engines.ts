// One contract, two engines (issue #16): each contract test runs once on SQLite (a temp file) and
// once on PostgreSQL (a fresh database, test/support/postgres.ts), with the same assertions.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { PlannedBuild } from '../../../src/store/builds.js'
import type { NewNotification } from '../../../src/store/notifications.js'
import type { NewDelivery } from '../../../src/store/store.js'
import type { ServiceStore } from '../../../src/store/service-store.js'
import { openSqliteStore } from '../../../src/store/sqlite/index.js'
import { openPostgresStore } from '../../../src/store/postgres/index.js'
import { freshDatabase } from '../../support/postgres.js'

export interface Engine {
  name: 'sqlite' | 'postgres'
  /** A store on this test's database; call again after close() for a restart on the same data. */
  open(options?: { maxBatch?: number }): Promise<ServiceStore>
}

/** Runs `fn` as two subtests, `<name> [sqlite]` and `<name> [postgres]`; stores opened are closed at the end. */
export function eachEngine(t: Test, name: string, fn: (t: Test, engine: Engine) => Promise<void>): void {
  t.test(`${name} [sqlite]`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tamer-contract-'))
    const opened: ServiceStore[] = []
    t.teardown(async () => {
      for (const s of opened) await s.close()
      rmSync(dir, { recursive: true, force: true })
    })
    await fn(t, {
      name: 'sqlite',
      open: async (o = {}) => {
        const s = openSqliteStore({ file: join(dir, 'tamer.db'), ...o })
        opened.push(s)
        return s
      },
    })
  })
  t.test(`${name} [postgres]`, async (t) => {
    const url = await freshDatabase(t)
    if (!url) return
    const opened: ServiceStore[] = []
    // Registered after freshDatabase's drop, so it runs before it (tap runs teardowns last in, first out).
    t.teardown(async () => {
      for (const s of opened) await s.close()
    })
    await fn(t, {
      name: 'postgres',
      open: async (o = {}) => {
        const s = await openPostgresStore({ url, ...o })
        opened.push(s)
        return s
      },
    })
  })
}

export function delivery(key: string, over: Partial<NewDelivery> = {}): NewDelivery {
  return {
    provider: 'github',
    dedupeKey: key,
    hostDeliveryId: key,
    eventType: 'push',
    tenant: 'default',
    repository: 'acme/r',
    status: 'pending',
    headers: { 'x-github-event': 'push' },
    body: Buffer.from('{}'),
    normalized: { kind: 'ignored', reason: 'test' },
    receivedAt: new Date().toISOString(),
    ...over,
  }
}

/** A pending build of rule `r`, job `j`, on acme/r's main branch, for the contract tests' plans. */
export function planned(deliveryId: string, over: Partial<PlannedBuild> = {}): PlannedBuild {
  return {
    deliveryId,
    eventIndex: 0,
    rule: 'r',
    job: 'j',
    template: null,
    tenant: 'default',
    repository: 'acme/r',
    parameters: { DELIVERY_ID: deliveryId },
    state: 'pending',
    eventKey: null,
    provider: 'github',
    ref: 'refs/heads/main',
    branch: 'main',
    commitSha: null,
    pullRequest: null,
    acceptedAt: Date.now(),
    ...over,
  }
}

/** A failure e-mail notice of a build, as a notice decision stores it. */
export function emailNotice(buildId: string, id: string, over: Partial<NewNotification> = {}): NewNotification {
  return {
    id,
    buildId,
    tenant: 'default',
    repository: 'acme/r',
    branch: 'main',
    channel: 'email',
    kind: 'email',
    outcome: 'first-failure',
    recipients: ['a@example.com'],
    subject: 'failed',
    payload: { text: 'hi' },
    ...over,
  }
}
