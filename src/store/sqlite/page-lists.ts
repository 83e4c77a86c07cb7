// The lists the API pages through (page-query.ts): what each selects and which column each of
// its query's filters compares. The reads use these; test/store/query-plans.test.ts checks the
// plan of every filter combination of every list.
import type { BranchQuery, RepositoryQuery } from '../branches.js'
import type { BuildQuery } from '../builds.js'
import type { NotificationQuery } from '../notifications.js'
import type { AuditQuery } from '../security.js'
import { DELIVERY_STATUSES, type DeliveryQuery } from '../store.js'
import type { PageList } from './page-query.js'

type Filters<Q> = Exclude<keyof Q, 'tenants' | 'before' | 'limit'>

export const DELIVERY_COLUMNS =
  'seq, id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status, headers, normalized, received_at, updated_at'

export const DELIVERY_PAGES: PageList<Filters<DeliveryQuery>> = {
  select: `SELECT ${DELIVERY_COLUMNS} FROM deliveries`,
  filters: { provider: 'provider', repository: 'repository', status: 'status' },
  // A repository's tenant is tenantOf(repository), and its provider is one host's unless two
  // hosts hold the same org/name: checked row by row among the repository's rows.
  narrowedBy: { repository: ['tenant', 'provider'] },
  // Five statuses: (tenant, status, seq) serves ?tenant as well, and so on, with four indexes fewer for the writer
  // to insert into per delivery (migration 24, issue #12).
  armsBy: { column: 'status', values: DELIVERY_STATUSES },
}

/** The columns of a DeliverySummary: DELIVERY_COLUMNS without headers and events. */
export const DELIVERY_SUMMARY_COLUMNS =
  'seq, id, provider, dedupe_key, host_delivery_id, event_type, tenant, repository, status, received_at, updated_at'

/** The same pages as DELIVERY_PAGES (same filters, indexes and order), of summaries. */
export const DELIVERY_SUMMARY_PAGES: PageList<Filters<DeliveryQuery>> = {
  ...DELIVERY_PAGES,
  select: `SELECT ${DELIVERY_SUMMARY_COLUMNS} FROM deliveries`,
}

export const BUILD_PAGES: PageList<Filters<BuildQuery>> = {
  select: 'SELECT * FROM builds',
  filters: { deliveryId: 'delivery_id', state: 'state', job: 'job' },
  // A delivery plans at most pipeline.maxBuildsPerDelivery builds.
  narrowedBy: { delivery_id: ['tenant', 'state', 'job'] },
}

export const NOTIFICATION_PAGES: PageList<Filters<NotificationQuery>> = {
  select: 'SELECT * FROM notifications',
  filters: { state: 'state', buildId: 'build_id' },
  // A build has a few notices (one per notification rule and channel).
  narrowedBy: { build_id: ['tenant', 'state'] },
}

export const AUDIT_PAGES: PageList<Filters<AuditQuery>> = {
  select: 'SELECT seq, id, at, actor, action, target, tenant, detail FROM audit_log',
  filters: {},
}

export const REPOSITORY_PAGES: PageList<Filters<RepositoryQuery>> = {
  select: 'SELECT * FROM repositories',
  filters: {},
}

export const BRANCH_PAGES: PageList<Filters<BranchQuery>> = {
  select: 'SELECT * FROM branches',
  filters: { repository: 'repository', provider: 'provider', state: 'state' },
  // A repository's branches are few next to a table's rows; its tenant and provider follow seq in its index.
  narrowedBy: { repository: ['tenant', 'provider'] },
}
