// The "sign-off needed" notice for chat (issue #15 item 4): the same chat channels that hear of the
// build's failures (notification rules matched by tenant/repository/branch, as src/notify/planner.ts
// picks them) get one message per request, stored in the outbox with the parties' mails. It says what
// is to be deployed, who must approve and until when, and links the build's page. It never carries the
// approve/reject links: they are bound to a party, and a channel cannot prove who clicks. When the
// sign-off is decided (every party approved, or one rejected), the same channels hear the outcome.
import type { ChatChannelConfig, NotificationsConfig } from '../config/notifications-schema.js'
import type { ChannelRegistry } from '../notify/channels/index.js'
import { cap, escapeMarkdown, escapeSlack } from '../notify/channels/text-format.js'
import { oneLine } from '../notify/model.js'
import { escapeHtml, safeHref } from '../notify/render/html-escape.js'
import { matchingRules } from '../notify/rules.js'
import { maskSecrets } from '../security/secrets.js'
import type { BuildRecord } from '../store/builds.js'
import type { NewNotification } from '../store/notifications.js'
import type { SignoffDecision } from '../store/signoffs.js'

export interface SignoffChatInput {
  build: BuildRecord
  environment: string
  message: string
  parties: string[]
  expiresAt: number
  /** Tamer's console page of the build (`<jenkins.publicUrl>/ui/builds/<id>`); null without a public URL. */
  consoleUrl: string | null
  secrets: readonly string[]
  /** The outcome notice instead of the request: how it was decided and by whom. */
  decided?: { state: SignoffDecision; by: string }
}

/** What every chat format shows, masked and on one line each. */
interface SignoffFacts {
  title: string
  facts: [string, string][]
  note: string
  links: [string, string][]
}

const NOTE = 'Every party must approve; one rejection stops the deployment. Each party decides through their own mail.'
const APPROVED = 'Every party approved: Tamer lets Jenkins proceed with the deployment.'
const REJECTED = 'A party rejected it: Tamer aborts the deployment in Jenkins.'

function factsOf(i: SignoffChatInput): SignoffFacts {
  const b = i.build
  const m = (s: string, max = 300) => oneLine(maskSecrets(s, i.secrets), max)
  const where = `${b.repository ?? b.job}${b.branch ? ` ${b.branch}` : ''}`
  const build = `${b.job}${b.buildNumber !== null ? ` #${b.buildNumber}` : ''}`
  const facts: [string, string][] = [
    ['Repository', m(b.repository ?? '(unknown repository)')],
    ['Branch', m(b.branch ?? '(none)')],
    ['Commit', m(b.commitSha ?? '(unknown)')],
    ['Environment', m(i.environment)],
    ['Build', m(build)],
    ['Jenkins asks', m(i.message, 500)],
    ['Approvers', m(i.parties.join(', '), 1000)],
    i.decided
      ? [i.decided.state === 'approved' ? 'Approved by' : 'Rejected by', m(i.decided.by, 1000)]
      : ['Expires', new Date(i.expiresAt).toISOString()],
  ]
  const links: [string, string][] = []
  const consoleUrl = safeHref(i.consoleUrl)
  const jenkinsUrl = safeHref(b.buildUrl)
  if (consoleUrl) links.push(['Open in Tamer', consoleUrl])
  if (jenkinsUrl) links.push(['Open in Jenkins', jenkinsUrl])
  const state = i.decided?.state
  const title =
    state === 'approved' ? 'Sign-off approved' : state === 'rejected' ? 'Sign-off rejected' : 'Sign-off needed'
  const note = !state ? NOTE : state === 'approved' ? APPROVED : REJECTED
  return { title: m(`${title}: deploy ${where} to ${i.environment} (${build})`, 250), facts, note, links }
}

function slack(f: SignoffFacts): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: cap(f.title, 150), emoji: false } },
    {
      type: 'section',
      fields: f.facts.map(([k, v]) => ({ type: 'mrkdwn', text: cap(`*${k}*\n${escapeSlack(v)}`, 2000) })),
    },
    { type: 'section', text: { type: 'mrkdwn', text: escapeSlack(f.note) } },
  ]
  if (f.links.length > 0)
    blocks.push({
      type: 'actions',
      elements: f.links.map(([text, url]) => ({ type: 'button', text: { type: 'plain_text', text }, url })),
    })
  // `text` is the notification and screen-reader fallback when blocks are present.
  return { text: escapeSlack(f.title), blocks }
}

function mattermost(f: SignoffFacts): Record<string, unknown> {
  const links = f.links.map(([text, url]) => `[${text}](${url})`).join(' · ')
  return {
    username: 'Tamer',
    text: cap(`#### ${escapeMarkdown(f.title)}\n${escapeMarkdown(f.note)}${links ? `\n${links}` : ''}`, 4000),
    attachments: [
      {
        fallback: f.title,
        color: '#0366d6',
        fields: f.facts.map(([k, v]) => ({ title: k, value: escapeMarkdown(v), short: k !== 'Approvers' })),
      },
    ],
  }
}

function teams(f: SignoffFacts): Record<string, unknown> {
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: escapeMarkdown(f.title), weight: 'Bolder', size: 'Medium', wrap: true },
      { type: 'FactSet', facts: f.facts.map(([title, value]) => ({ title, value: escapeMarkdown(value) })) },
      { type: 'TextBlock', text: escapeMarkdown(f.note), wrap: true },
    ],
    ...(f.links.length ? { actions: f.links.map(([title, url]) => ({ type: 'Action.OpenUrl', title, url })) } : {}),
    msteams: { width: 'Full' },
  }
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  }
}

function googleChat(f: SignoffFacts, notificationId: string): Record<string, unknown> {
  const sections: Record<string, unknown>[] = [
    {
      widgets: f.facts.map(([k, v]) => ({
        decoratedText: { topLabel: escapeHtml(k), text: escapeHtml(v), wrapText: true },
      })),
    },
    { widgets: [{ textParagraph: { text: escapeHtml(f.note) } }] },
  ]
  if (f.links.length > 0)
    sections.push({
      widgets: [{ buttonList: { buttons: f.links.map(([text, url]) => ({ text, onClick: { openLink: { url } } })) } }],
    })
  return {
    text: `*${escapeSlack(f.title)}*`,
    cardsV2: [{ cardId: `tamer-${notificationId}`, card: { header: { title: cap(f.title, 200) }, sections } }],
  }
}

function webhook(f: SignoffFacts, i: SignoffChatInput, notificationId: string): Record<string, unknown> {
  return {
    id: notificationId,
    type: i.decided ? `signoff.${i.decided.state}` : 'signoff.requested',
    test: false,
    headline: f.title,
    signoff: {
      buildId: i.build.id,
      repository: i.build.repository,
      branch: i.build.branch,
      commit: i.build.commitSha,
      environment: i.environment,
      message: f.facts.find(([k]) => k === 'Jenkins asks')?.[1] ?? '',
      parties: i.parties,
      ...(i.decided ? { state: i.decided.state, decidedBy: i.decided.by } : {}),
      expiresAt: new Date(i.expiresAt).toISOString(),
      links: Object.fromEntries(f.links.map(([text, url]) => [text, url])),
    },
  }
}

type Render = (f: SignoffFacts, i: SignoffChatInput, notificationId: string) => Record<string, unknown>

/** One renderer per chat platform: a new platform in src/notify/channels/index.ts must add one here. */
const RENDER: Record<ChatChannelConfig['type'], Render> = {
  slack: (f) => slack(f),
  mattermost: (f) => mattermost(f),
  teams: (f) => teams(f),
  'google-chat': (f, _i, id) => googleChat(f, id),
  webhook: (f, i, id) => webhook(f, i, id),
}

/** The chat channels of every notification rule that matches the build, each once (no `email`). */
export function signoffChatChannels(
  n: Pick<NotificationsConfig, 'rules'>,
  channels: ChannelRegistry,
  b: BuildRecord,
): string[] {
  const names = [...new Set(matchingRules(n.rules, b).flatMap((r) => r.channels))]
  return names.filter((name) => {
    const ch = channels.get(name)
    return ch !== undefined && ch.kind !== 'email'
  })
}

/** One stored notice per chat channel; `newId` names each (its outbox id, the webhook's idempotency key). */
export function signoffChatNotices(
  i: SignoffChatInput,
  names: string[],
  channels: ChannelRegistry,
  newId: () => string,
): NewNotification[] {
  const f = factsOf(i)
  const out: NewNotification[] = []
  for (const name of names) {
    const ch = channels.get(name)
    if (!ch || ch.kind === 'email') continue
    const id = newId()
    out.push({
      id,
      buildId: i.build.id,
      tenant: i.build.tenant,
      repository: i.build.repository,
      branch: i.build.branch,
      channel: ch.name,
      kind: ch.kind,
      outcome: i.decided ? `signoff-${i.decided.state}` : 'signoff-request',
      recipients: [],
      subject: f.title,
      payload: RENDER[ch.kind](f, i, id),
    })
  }
  return out
}
