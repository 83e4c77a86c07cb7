// The notification side of the store: for every finished build, the decision whether to
// notify (made once), and the outbox of notices it produced. Interface only.

/** What a finished build means for its branch (email-ext triggers; see notify/outcome.ts). */
export type NoticeOutcome = 'first-failure' | 'still-failing' | 'fixed' | 'unstable' | 'aborted'

/**
 * pending: stored, not sent yet (or waiting for a retry at nextAttemptAt) · sending: handed to
 * the channel; after a crash nobody knows whether it arrived · sent: the SMTP server accepted it
 * or the endpoint answered 2xx · dead: given up (permanent refusal, attempts used up, or a send
 * interrupted by a restart), listed in /api/notifications and re-sendable.
 */
export const NOTIFICATION_STATES = ['pending', 'sending', 'sent', 'dead'] as const
export type NotificationState = (typeof NOTIFICATION_STATES)[number]

/** Why a build did or did not notify; kept as evidence and for the still-failing throttle. */
export interface NoticeDecision {
  buildId: string
  /** tenant + repository + branch + job: the thread whose notices belong together */
  threadKey: string
  /** null: nothing to say (a green build after green, a rule that does not want this outcome) */
  outcome: NoticeOutcome | null
  /** false when the outcome fired but a throttle or a missing rule held it back */
  notified: boolean
  reason: string
  /** epoch ms */
  decidedAt: number
}

export interface NewNotification {
  id: string
  buildId: string | null
  tenant: string
  repository: string | null
  branch: string | null
  channel: string
  /** channel type: email, slack, teams, mattermost, google-chat, webhook */
  kind: string
  outcome: string
  recipients: string[]
  /** One line for lists: the mail subject or the chat headline. */
  subject: string
  /** What the channel sends, rendered before it is stored so a resend sends the same. */
  payload: unknown
}

export interface NotificationRecord extends NewNotification {
  seq: number
  state: NotificationState
  attempts: number
  /** epoch ms */
  nextAttemptAt: number | null
  lastError: string | null
  /** The SMTP server's answer or the endpoint's status, when it took the notice. */
  acceptedBy: string | null
  sentAt: string | null
  createdAt: string
  updatedAt: string
}

export type NotificationPatch = Partial<
  Pick<NotificationRecord, 'state' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'acceptedBy' | 'sentAt'>
>

export interface NotificationQuery {
  state?: NotificationState
  /** One build's notices (the console's delivery and build pages). */
  buildId?: string
  tenants?: readonly string[]
  before?: number
  limit: number
}

export interface NotificationStore {
  /** Finished builds nobody decided about yet, oldest first. */
  undecidedBuilds(limit: number): Promise<import('./builds.js').BuildRecord[]>
  /** The thread's latest decision that notified. */
  lastNotifiedDecision(threadKey: string): Promise<NoticeDecision | null>
  /** How many decisions of the thread were stored after that build's, to count builds since a notice. */
  decisionsAfter(threadKey: string, buildId: string): Promise<number>
  /**
   * In one transaction: the decision and its notices. Idempotent per build: a second call for
   * the same build stores nothing and answers false.
   */
  recordDecision(decision: NoticeDecision, notices: NewNotification[], at: number): Promise<boolean>
  /** pending notices due by `now`, oldest first, and when the next one falls due. */
  dueNotifications(now: number, limit: number): Promise<{ due: NotificationRecord[]; nextAt: number | null }>
  /** Moves a notice from `from` to the patch's state; false when it was not in `from` any more. */
  updateNotification(id: string, from: NotificationState, patch: NotificationPatch): Promise<boolean>
  /** At start-up: notices left `sending` by a crash become dead letters (never sent twice). */
  abandonInterruptedSends(reason: string, at: number): Promise<number>
  getNotification(id: string): Promise<NotificationRecord | null>
  listNotifications(query: NotificationQuery): Promise<NotificationRecord[]>
}
