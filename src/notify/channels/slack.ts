// Slack incoming webhook, Block Kit (https://api.slack.com/messaging/webhooks,
// https://api.slack.com/reference/block-kit/blocks). Limits: header 150 chars, section
// text 3,000, 10 fields of 2,000, 50 blocks.
import type { ChatChannelConfig } from '../../config/notifications-schema.js'
import type { NotificationChannel } from '../channel.js'
import { metricTableText } from '../../metrics/table.js'
import { facts, headline, shortSha, TEST_NOTICE_NOTE, type Notice } from '../model.js'
import { postJson } from './http-post.js'
import { cap, capTail, escapeSlack, fenced } from './text-format.js'

const link = (url: string, text: string) =>
  `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeSlack(text).replace(/\|/g, '¦')}>`

export function slackMessage(n: Notice): Record<string, unknown> {
  const title = headline(n)
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: cap(title, 150), emoji: false } },
    ...(n.test ? [{ type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(TEST_NOTICE_NOTE)}*` } }] : []),
    {
      type: 'section',
      fields: facts(n)
        .slice(0, 10)
        .map(([k, v]) => ({ type: 'mrkdwn', text: cap(`*${k}*\n${escapeSlack(v)}`, 2000) })),
    },
  ]
  if (n.commits.length > 0) {
    const lines = n.commits.map(
      (c) =>
        `• ${c.url ? link(c.url, shortSha(c.id)) : `\`${shortSha(c.id)}\``} ${escapeSlack(c.message)} — ${escapeSlack(c.author)}`,
    )
    if (n.moreCommits > 0) lines.push(`… and ${n.moreCommits} more`)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cap(`*Changes*\n${lines.join('\n')}`, 3000) } })
  }
  if (n.tests && n.failedTests.length > 0)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: cap(`*Failed tests*\n${n.failedTests.map((t) => `• ${escapeSlack(t)}`).join('\n')}`, 3000),
      },
    })
  if (n.metricTable)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: cap(fenced(escapeSlack(metricTableText(n.metricTable).join('\n'))), 3000) },
    })
  if (n.parity?.length)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: cap(fenced(escapeSlack(n.parity.join('\n'))), 3000) },
    })
  if (n.metrics.length > 0)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: cap(
          `*Metric gate*\n${n.metrics.map((m) => `${m.ok ? '✅' : '❌'} ${escapeSlack(m.name)} = ${escapeSlack(m.value)} (min ${escapeSlack(m.min ?? '–')}, max ${escapeSlack(m.max ?? '–')})`).join('\n')}`,
          3000,
        ),
      },
    })
  if (n.notebookSummary)
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: cap(`*Notebooks*\n${escapeSlack(n.notebookSummary.replace(/\*\*/g, '*'))}`, 3000) },
    })
  if (n.logExcerpt)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: fenced(capTail(escapeSlack(n.logExcerpt), 2900)) } })
  const buttons: Record<string, unknown>[] = []
  if (n.buildUrl) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Open build' }, url: n.buildUrl })
  if (n.diffUrl) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Notebook diff' }, url: n.diffUrl })
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons })
  // `text` is the notification and screen-reader fallback when blocks are present.
  return { text: escapeSlack(title), blocks }
}

export function createSlackChannel(
  c: ChatChannelConfig,
  o: { timeoutMs: number; now?: () => number },
): NotificationChannel {
  return {
    name: c.name,
    kind: 'slack',
    render: (n) => ({ subject: headline(n), payload: slackMessage(n) }),
    send: (payload) => postJson(c.url, JSON.stringify(payload), o),
  }
}
