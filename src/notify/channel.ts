// One interface for every way Tamer notifies. A channel renders a notice in its platform's
// own format (stored in the outbox before anything is sent) and sends a stored payload.
import type { Notice } from './model.js'

export type ChannelKind = 'email' | 'slack' | 'teams' | 'mattermost' | 'google-chat' | 'webhook'

export interface RenderContext {
  /** The outbox id: the mail's Message-ID and the webhook's idempotency key derive from it. */
  notificationId: string
  /** tenant + repository + branch + job: notices of one thread reply to one another */
  threadKey: string
  /** mail only */
  recipients: string[]
}

export interface Rendered {
  subject: string
  payload: unknown
}

export interface SendReceipt {
  /** The SMTP server's acceptance line, or `HTTP 200` */
  acceptedBy: string
}

export interface NotificationChannel {
  readonly name: string
  readonly kind: ChannelKind
  render(notice: Notice, ctx: RenderContext): Rendered
  /** Resolves once the peer took the notice; throws SendFailure otherwise. */
  send(payload: unknown, ctx: { notificationId: string; recipients: string[] }): Promise<SendReceipt>
  close?(): void
}

/** A failed send: whether trying again can help, and when the peer asked us to. */
export class SendFailure extends Error {
  readonly retryable: boolean
  readonly retryAfterMs: number | null
  constructor(message: string, retryable: boolean, retryAfterMs: number | null = null) {
    super(message)
    this.name = 'SendFailure'
    this.retryable = retryable
    this.retryAfterMs = retryAfterMs
  }
}
