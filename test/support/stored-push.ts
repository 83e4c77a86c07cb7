// A GitHub push as intake stores it (its events normalized), for tests that write to a store directly: what
// another process stored, with no signal to this one's pipeline or branch registry.
import { normalizeGitHub } from '../../src/providers/github/normalize.js'
import type { NewDelivery } from '../../src/store/store.js'

export function storedPush(
  payload: { repository: { full_name: string } },
  hostDeliveryId: string,
  receivedAt = new Date().toISOString(),
): NewDelivery {
  const meta = { provider: 'github' as const, eventType: 'push', hostDeliveryId, dedupeKey: hostDeliveryId }
  return {
    ...meta,
    tenant: 'default',
    repository: payload.repository.full_name,
    status: 'pending',
    headers: {},
    body: Buffer.from(JSON.stringify(payload)),
    normalized: normalizeGitHub(payload, meta, { tenantOf: () => 'default', receivedAt }),
    receivedAt,
  }
}
