// Sends one stored notice. The order of writes is the whole guarantee:
//   1. `sending` (+1 attempt) is committed before the channel is called;
//   2. the channel resolves only on the peer's acceptance (SMTP 250 after DATA, HTTP 2xx);
//   3. only then `sent` is committed, with what the peer answered.
// A crash between 1 and 3 leaves `sending`: at the next start those become dead letters
// (see Notifier.start) instead of being sent again, because whether the peer took them is
// unknowable. Never twice; the rare ambiguous one is visible and can be re-sent by hand.
import type { Logger } from 'pino'
import type { NotificationRecord, NotificationStore } from '../store/notifications.js'
import { SendFailure } from './channel.js'
import type { ChannelRegistry } from './channels/index.js'
import { maskSecrets } from '../security/secrets.js'
import { backoffMs } from '../work/backoff.js'

export interface SenderDeps {
  store: Pick<NotificationStore, 'updateNotification'>
  channels: ChannelRegistry
  now(): number
  /** The notifier's; a child per notice is made from it (`{ notificationId }`). */
  logger: Logger
  secrets: readonly string[]
  retryBaseMs: number
  retryMaxMs: number
  maxAttempts: number
  /** Told after each send with the channel's kind, how it ended and the channel's time (for /metrics). */
  sent?: (kind: string, outcome: 'sent' | 'retry' | 'dead', seconds: number) => void
}

/** A server's Retry-After is honoured even beyond retryMaxMs, up to a day. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000

export async function sendNotification(d: SenderDeps, n: NotificationRecord): Promise<void> {
  const channel = d.channels.get(n.channel)
  if (!channel) {
    await d.store.updateNotification(n.id, 'pending', {
      state: 'dead',
      lastError: `channel ${n.channel} is not configured`,
      nextAttemptAt: null,
    })
    return
  }
  const log = d.logger.child({ notificationId: n.id })
  const attempts = n.attempts + 1
  if (!(await d.store.updateNotification(n.id, 'pending', { state: 'sending', attempts }))) return
  const started = performance.now()
  const told = (outcome: 'sent' | 'retry' | 'dead') =>
    d.sent?.(channel.kind, outcome, (performance.now() - started) / 1000)
  try {
    const receipt = await channel.send(n.payload, { notificationId: n.id, recipients: n.recipients })
    told('sent')
    await d.store.updateNotification(n.id, 'sending', {
      state: 'sent',
      acceptedBy: receipt.acceptedBy,
      sentAt: new Date(d.now()).toISOString(),
      lastError: null,
      nextAttemptAt: null,
    })
    log.info({ channel: n.channel, attempts }, 'notice sent')
  } catch (err) {
    const f = err instanceof SendFailure ? err : new SendFailure((err as Error).message ?? String(err), true)
    const lastError = maskSecrets(f.message, d.secrets).slice(0, 500)
    told(!f.retryable || attempts >= d.maxAttempts ? 'dead' : 'retry')
    if (!f.retryable || attempts >= d.maxAttempts) {
      await d.store.updateNotification(n.id, 'sending', { state: 'dead', lastError, nextAttemptAt: null })
      log.warn({ channel: n.channel, attempts, err: lastError }, 'notice given up: dead letter')
      return
    }
    const delay = f.retryAfterMs !== null ? Math.min(MAX_RETRY_AFTER_MS, f.retryAfterMs) : backoffMs(d, attempts)
    await d.store.updateNotification(n.id, 'sending', { state: 'pending', lastError, nextAttemptAt: d.now() + delay })
    log.warn({ channel: n.channel, attempts, retryInMs: delay, err: lastError }, 'notice not sent; will retry')
  }
}
