// Email over SMTP with nodemailer: multipart text + HTML, one stable Message-ID per notice and
// In-Reply-To/References to one root per branch thread, so a mail client shows a branch's
// notices as one conversation.
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import type Nodemailer from 'nodemailer'
import type { SmtpConfig } from '../../config/notifications-schema.js'
import { SendFailure, type NotificationChannel } from '../channel.js'
import { headline, type Notice } from '../model.js'
import { renderEmailHtml } from '../render/email-html.js'
import { renderText } from '../render/text.js'
import { CHART_CID, svgToPng } from '../../metrics/chart-png.js'

export interface EmailPayload {
  from: string
  to: string[]
  subject: string
  text: string
  html: string
  messageId: string
  inReplyTo: string
  references: string
  /** The metric chart, attached as an inline PNG when sent (absent on payloads stored before). */
  chartSvg?: string | null
}

/** SMTP is configured when a url or a host is. */
export const smtpConfigured = (c: SmtpConfig) => c.url !== '' || c.host !== ''

function domainOf(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)
  return m ? m[1]!.toLowerCase() : 'tamer.localhost'
}

export function threadRootId(threadKey: string, from: string): string {
  return `<thread-${createHash('sha256').update(threadKey).digest('hex').slice(0, 32)}@${domainOf(from)}>`
}

export function emailPayload(
  n: Notice,
  c: { from: string; notificationId: string; threadKey: string; recipients: string[] },
): EmailPayload {
  const root = threadRootId(c.threadKey, c.from)
  return {
    from: c.from,
    to: c.recipients,
    subject: `[Tamer] ${headline(n)}`,
    text: renderText(n),
    html: renderEmailHtml(n),
    messageId: `<${c.notificationId}@${domainOf(c.from)}>`,
    inReplyTo: root,
    references: root,
    chartSvg: n.metricTable ? (n.chartSvg ?? null) : null,
  }
}

/** The chart as an inline attachment; a chart that cannot be drawn leaves the mail without it, sent all the same. */
async function chartAttachment(svg: string | null | undefined) {
  if (!svg) return []
  try {
    return [{ filename: 'metrics.png', content: await svgToPng(svg), contentType: 'image/png', cid: CHART_CID }]
  } catch {
    return []
  }
}

/** nodemailer options from config; user and password fields override those in the url. */
export function transportOptions(c: SmtpConfig): Record<string, unknown> {
  const opts: Record<string, unknown> = {}
  if (c.url) {
    const u = new URL(c.url)
    opts.host = u.hostname
    opts.secure = u.protocol === 'smtps:'
    opts.port = u.port ? Number(u.port) : opts.secure ? 465 : 587
    if (u.username) opts.auth = { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) }
  }
  if (c.host) opts.host = c.host
  if (c.port !== undefined) opts.port = c.port
  if (c.secure !== undefined) opts.secure = c.secure
  opts.port ??= opts.secure ? 465 : 587
  if (c.user) opts.auth = { user: c.user, pass: c.password }
  opts.requireTLS = c.requireTLS
  opts.tls = { rejectUnauthorized: c.rejectUnauthorized }
  opts.connectionTimeout = c.timeoutMs
  opts.greetingTimeout = c.timeoutMs
  opts.socketTimeout = c.timeoutMs
  return opts
}

interface SmtpError extends Error {
  code?: string
  responseCode?: number
  response?: string
}

/**
 * 4xx from the server (greylisting, "try again later"), connection and TLS trouble, timeouts:
 * retried. 5xx: the server refused for good (no such user, relaying denied): a dead letter.
 */
function classify(err: SmtpError): SendFailure {
  const code = err.responseCode
  const what = code
    ? `SMTP ${code}: ${(err.response ?? err.message).slice(0, 200)}`
    : `${err.code ?? 'SMTP error'}: ${err.message.slice(0, 200)}`
  if (code !== undefined && code >= 500) return new SendFailure(what, false)
  if (err.code === 'EAUTH') return new SendFailure(what, false)
  return new SendFailure(what, true)
}

// Loaded when SMTP is configured, not by every process that composes the notifier (nodemailer is ~40 modules).
const require = createRequire(import.meta.url)

export function createEmailChannel(c: SmtpConfig): NotificationChannel {
  const nodemailer = require('nodemailer') as typeof Nodemailer
  const transport = nodemailer.createTransport(transportOptions(c) as never)
  return {
    name: 'email',
    kind: 'email',
    render(n, ctx) {
      const p = emailPayload(n, {
        from: c.from,
        notificationId: ctx.notificationId,
        threadKey: ctx.threadKey,
        recipients: ctx.recipients,
      })
      return { subject: p.subject, payload: p }
    },
    async send(payload) {
      const p = payload as EmailPayload
      if (p.to.length === 0) throw new SendFailure('no recipients', false)
      try {
        const info = await transport.sendMail({
          from: p.from,
          to: p.to,
          subject: p.subject,
          text: p.text,
          html: p.html,
          messageId: p.messageId,
          inReplyTo: p.inReplyTo,
          references: p.references,
          attachments: await chartAttachment(p.chartSvg),
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
        })
        // Some recipients refused, others taken: the mail went out; the refusals are on record.
        if (info.accepted.length === 0)
          throw Object.assign(new Error('every recipient was refused'), {
            responseCode: 550,
            response: String(info.response),
          })
        return {
          acceptedBy: `${String(info.response).slice(0, 200)}${info.rejected.length ? ` (refused: ${info.rejected.length})` : ''}`,
        }
      } catch (err) {
        throw err instanceof SendFailure ? err : classify(err as SmtpError)
      }
    },
    close: () => transport.close(),
  }
}
