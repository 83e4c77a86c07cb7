// The whole store the service runs on: deliveries, builds, notices, push diffs, tokens, secrets,
// the audit log and the outbox of posts to git hosts. openSqliteStore makes one; buildApp and the
// composition root take one.
import type { BranchStore } from './branches.js'
import type { TamerStore } from './builds.js'
import type { HostPostStore } from './host-posts.js'
import type { NotificationStore } from './notifications.js'
import type { PushDiffStore } from './push-diffs.js'
import type { SecurityStore } from './security.js'
import type { MetricsStore } from './metrics.js'
import type { OpsStore } from './ops.js'
import type { SignoffStore } from './signoffs.js'
import type { WorkLeaseStore } from './leases.js'

export type ServiceStore = TamerStore &
  NotificationStore &
  PushDiffStore &
  SecurityStore &
  MetricsStore &
  BranchStore &
  HostPostStore &
  OpsStore &
  SignoffStore &
  WorkLeaseStore
