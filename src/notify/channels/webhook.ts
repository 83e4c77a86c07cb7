// A generic JSON webhook: the neutral notice as JSON, signed so the receiver can check it came
// from Tamer: `X-Tamer-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (the scheme of
// Tamer's own Jenkins callback and of GitHub's X-Hub-Signature-256). `X-Tamer-Notification`
// carries the outbox id, so a receiver can drop the rare duplicate of a timed-out send.
import { createHmac } from 'node:crypto'
import type { ChatChannelConfig } from '../../config/notifications-schema.js'
import type { NotificationChannel } from '../channel.js'
import { headline, TEST_NOTICE_NOTE, type Notice } from '../model.js'
import { postJson } from './http-post.js'

export function webhookBody(n: Notice, notificationId: string): Record<string, unknown> {
  // `test` is always there, so a receiver can drop samples from `tamer notify test` (`note` says why).
  return {
    id: notificationId,
    type: `build.${n.outcome}`,
    test: n.test === true,
    ...(n.test ? { note: TEST_NOTICE_NOTE } : {}),
    headline: headline(n),
    notice: n,
  }
}

export const signBody = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

export function createWebhookChannel(
  c: ChatChannelConfig,
  o: { timeoutMs: number; now?: () => number },
): NotificationChannel {
  return {
    name: c.name,
    kind: 'webhook',
    render: (n, ctx) => ({ subject: headline(n), payload: webhookBody(n, ctx.notificationId) }),
    send(payload, ctx) {
      const body = JSON.stringify(payload)
      const headers: Record<string, string> = { 'x-tamer-notification': ctx.notificationId }
      if (c.secret) headers['x-tamer-signature'] = signBody(c.secret, body)
      return postJson(c.url, body, { ...o, headers })
    },
  }
}
