// The sign-off request a party gets by mail: what is to be deployed, who must approve, and the two
// signed links that are theirs alone. Stored in the notifications outbox as the email channel's payload.
import type { BuildRecord } from '../store/builds.js'
import { escapeHtml, safeHref } from '../notify/render/html-escape.js'
import type { EmailPayload } from '../notify/channels/email.js'

export interface SignoffMail {
  build: BuildRecord
  environment: string
  message: string
  party: string
  parties: string[]
  approveUrl: string
  rejectUrl: string
  expiresAt: number
  from: string
  notificationId: string
}

function domainOf(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)
  return m ? m[1]!.toLowerCase() : 'tamer.localhost'
}

export function signoffMail(m: SignoffMail): EmailPayload {
  const b = m.build
  const what = `${b.repository ?? b.job}${b.branch ? ` ${b.branch}` : ''} @ ${(b.commitSha ?? '').slice(0, 10)}`
  const build = `${b.job}${b.buildNumber !== null ? ` #${b.buildNumber}` : ''}`
  const expires = new Date(m.expiresAt).toISOString()
  const subject = `[Tamer] Sign-off needed: deploy ${what} to ${m.environment}`.slice(0, 250)
  const text = [
    `${build} waits for your sign-off to deploy ${what} to ${m.environment}.`,
    `Jenkins asks: ${m.message}`,
    '',
    `Every required party must approve: ${m.parties.join(', ')}. One rejection stops the deployment.`,
    '',
    `Approve: ${m.approveUrl}`,
    `Reject:  ${m.rejectUrl}`,
    '',
    `These links record your decision as ${m.party}: do not forward them. Each opens a page that asks you to`,
    `confirm; they work once and expire at ${expires}.`,
    ...(b.buildUrl ? ['', `Jenkins: ${b.buildUrl}`] : []),
  ].join('\n')
  const link = (url: string, label: string) =>
    safeHref(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>` : escapeHtml(label)
  const html = [
    `<p>${escapeHtml(build)} waits for your sign-off to deploy <b>${escapeHtml(what)}</b> to <b>${escapeHtml(m.environment)}</b>.</p>`,
    `<p>Jenkins asks: ${escapeHtml(m.message)}</p>`,
    `<p>Every required party must approve: ${escapeHtml(m.parties.join(', '))}. One rejection stops the deployment.</p>`,
    `<p>${link(m.approveUrl, 'Approve')} &nbsp; ${link(m.rejectUrl, 'Reject')}</p>`,
    `<p>These links record your decision as ${escapeHtml(m.party)}: do not forward them. Each opens a page that asks you to confirm; they work once and expire at ${escapeHtml(expires)}.</p>`,
    ...(b.buildUrl && safeHref(b.buildUrl) ? [`<p>${link(b.buildUrl, 'Jenkins')}</p>`] : []),
  ].join('\n')
  return {
    from: m.from,
    to: [m.party],
    subject,
    text,
    html,
    messageId: `<${m.notificationId}@${domainOf(m.from)}>`,
    inReplyTo: '',
    references: '',
  }
}
