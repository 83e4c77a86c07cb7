// The sign-off side of the store (issue #15): a build's deploy stage waits on a Jenkins `input`; each
// required party decides once through a signed link; the decision trail and what Tamer then told
// Jenkins. Interface only. Every change is written in one transaction with its audit entry.
import type { NewNotification } from './notifications.js'
import type { AuditEntry } from './security.js'

export type SignoffDecision = 'approved' | 'rejected'

/** waiting: not every party approved and none rejected · approved: every party approved · rejected: one did. */
export type SignoffState = 'waiting' | SignoffDecision

export interface SignoffParty {
  /** a mail address, lower-cased */
  party: string
  decision: SignoffDecision | null
  decidedAt: string | null
}

export interface NewSignoff {
  id: string
  buildId: string
  tenant: string
  repository: string | null
  environment: string
  /** the Jenkins input step's id (`TamerSignoff`) */
  inputId: string
  /** what the parties are asked */
  message: string
  parties: string[]
  /** epoch ms: the links stop working */
  expiresAt: number
}

export interface SignoffRecord extends Omit<NewSignoff, 'parties'> {
  state: SignoffState
  parties: SignoffParty[]
  createdAt: string
  /** when the last approval or the rejection came */
  decidedAt: string | null
  /** what Tamer did to the Jenkins input once decided: null until it did */
  jenkinsAction: 'proceed' | 'abort' | null
  jenkinsActedAt: string | null
  /** the last failed attempt to tell Jenkins (retried) */
  jenkinsError: string | null
}

export type DecideOutcome =
  /** stored; `signoff.state` says whether that settled it */
  | 'recorded'
  /** this party decided before: a replayed link */
  | 'already-used'
  /** not among the sign-off's parties */
  | 'not-a-party'
  /** settled by the others already (a rejection), or no such sign-off */
  | 'closed'

export interface SignoffStore {
  /**
   * In one transaction: the sign-off, its parties, the requests to them (notifications, sent by the
   * notifier's outbox) and the audit entry. A second request for the same build and input stores
   * nothing and answers the first (`created: false`).
   */
  createSignoff(
    s: NewSignoff,
    notices: NewNotification[],
    audit: AuditEntry,
  ): Promise<{ signoff: SignoffRecord; created: boolean }>
  getSignoff(id: string): Promise<SignoffRecord | null>
  /** Oldest first. */
  signoffsOfBuild(buildId: string): Promise<SignoffRecord[]>
  /**
   * One party's decision, once, with its audit entry; settles the sign-off on the last approval or a rejection,
   * and then (in the same transaction) stores `settled[state]`, the notices announcing it.
   */
  decideSignoff(
    id: string,
    party: string,
    decision: SignoffDecision,
    audit: AuditEntry,
    settled?: Record<SignoffDecision, NewNotification[]>,
  ): Promise<{ outcome: DecideOutcome; signoff: SignoffRecord | null }>
  /** What Tamer told Jenkins (with its audit entry), or why it could not yet. */
  recordSignoffAction(
    id: string,
    r: { action: 'proceed' | 'abort'; error: null; audit: AuditEntry } | { action: null; error: string },
  ): Promise<void>
  /** Settled sign-offs whose Jenkins input Tamer has not settled yet, oldest first. */
  unsettledSignoffs(limit: number): Promise<SignoffRecord[]>
}
