// A claim's lease on shared work (leases.ts): its own module, so the stores' types that carry one (a plan's,
// builds.ts) need not import the claims' interfaces, which import them.
export interface Lease {
  /** This replica's name for its claims (one per process, store/lease-keeper.ts). */
  owner: string
  /** The clock of the claim, epoch ms: rows whose lease ends by then are free. */
  now: number
  /** epoch ms the claim ends unless renewed */
  until: number
}
