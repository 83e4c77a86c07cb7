// A real git remote with one notebook push, and push deliveries recorded straight into a store:
// what the push-diff service, its routes and the notice summary are tested on.
import type { PushEvent } from '../../src/events/model.js'
import type { GitHost } from '../../src/git/remote.js'
import type { DeliveryStore } from '../../src/store/store.js'
import { code, notebook, stream } from '../notebooks/fixtures.js'
import { makeRepo, type Teardown, type TestRepo } from '../git/repo.js'

export const nb = (src: string, out: string) => JSON.stringify(notebook([code('c1', src, [stream(out)], 1)]), null, 1)

export interface NotebookPush {
  repo: TestRepo
  before: string
  after: string
}

/** The git.hosts entries that derive these repos' file:// URLs, as a config lists a self-hosted server. */
export function fileHosts(...repos: TestRepo[]): GitHost[] {
  return repos.map((r) => ({ provider: 'github', url: r.base }))
}

/** train.ipynb and notes.md changed by one push to main of `fullName`; the repo goes when `t` ends. */
export async function notebookPush(t: Teardown, fullName = 'acme/ds'): Promise<NotebookPush> {
  const repo = await makeRepo(t, { fullName })
  repo.write({ 'train.ipynb': nb('acc = fit()\nprint(acc)', 'accuracy: 0.91\n'), 'notes.md': 'one\n' })
  const before = await repo.commit('one')
  repo.write({ 'train.ipynb': nb('acc = fit(epochs=5)\nprint(acc)', 'accuracy: 0.93\n'), 'notes.md': 'two\n' })
  const after = await repo.commit('two')
  await repo.push('main')
  return { repo, before, after }
}

export function pushEvent(o: {
  before: string
  after: string
  cloneUrl: string
  tenant?: string
  fullName?: string
}): PushEvent {
  return {
    kind: 'push',
    provider: 'github',
    hostDeliveryId: null,
    tenant: o.tenant ?? 'default',
    receivedAt: new Date().toISOString(),
    repository: {
      fullName: o.fullName ?? 'acme/ds',
      cloneUrl: { https: o.cloneUrl, ssh: null },
      webUrl: null,
      defaultBranch: 'main',
    },
    ref: 'refs/heads/main',
    refType: 'branch',
    branch: 'main',
    tag: null,
    created: false,
    deleted: false,
    forced: false,
    commits: [],
    totalCommits: 1,
    filesKnown: false,
    pusher: { name: null, email: null, username: null },
    before: o.before,
    after: o.after,
  }
}

/** Records a processed push delivery (the pipeline is not involved) and answers its id. */
export async function recordPush(store: DeliveryStore, event: PushEvent): Promise<string> {
  const r = await store.recordDelivery({
    provider: 'github',
    dedupeKey: `k-${Math.random()}`,
    hostDeliveryId: null,
    eventType: 'push',
    tenant: event.tenant,
    repository: event.repository.fullName,
    status: 'processed',
    headers: {},
    body: Buffer.from('{}'),
    receivedAt: event.receivedAt,
    normalized: { kind: 'events', events: [event] },
  })
  return r.id
}
