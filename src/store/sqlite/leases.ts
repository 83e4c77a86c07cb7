// SQLite's side of work leases (src/store/leases.ts): SQLite wants one writer, so one process owns
// all the work; a claim is the plain due read and a lease is nothing to keep or give back.
import type { WorkLeaseStore } from '../leases.js'
import type { BuildStore } from '../builds.js'
import type { HostPostStore } from '../host-posts.js'
import type { NotificationStore } from '../notifications.js'

type Reads = Pick<BuildStore, 'pendingDeliveries' | 'dueBuilds'> &
  Pick<NotificationStore, 'dueNotifications'> &
  Pick<HostPostStore, 'dueHostPosts'>

export function singleProcessLeases(reads: Reads): WorkLeaseStore {
  return {
    sharedWork: false,
    diffJobs: null,
    claimPendingDeliveries: (_lease, limit) => reads.pendingDeliveries(limit),
    claimDueBuilds: (lease, limit) => reads.dueBuilds(lease.now, limit),
    claimDueNotifications: (lease, limit) => reads.dueNotifications(lease.now, limit),
    claimDueHostPosts: (lease, limit) => reads.dueHostPosts(lease.now, limit),
    releaseWork: async () => {},
    renewLeases: async () => {},
    releaseLeases: async () => 0,
    onWork: () => () => {},
  }
}
