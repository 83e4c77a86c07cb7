// Mattermost incoming webhook (https://developers.mattermost.com/integrate/webhooks/incoming/):
// `text` is Markdown; an attachment carries the colour bar and the facts as fields.
import type { ChatChannelConfig } from '../../config/notifications-schema.js'
import type { NotificationChannel } from '../channel.js'
import { metricTableMarkdown } from '../../metrics/table.js'
import { facts, headline, shortSha, TEST_NOTICE_NOTE, type Notice } from '../model.js'
import { postJson } from './http-post.js'
import { cap, capTail, escapeMarkdown, fenced } from './text-format.js'

export const COLOR: Record<Notice['outcome'], string> = {
  'first-failure': '#d93f0b',
  'still-failing': '#b60205',
  fixed: '#2ea44f',
  unstable: '#dbab09',
  aborted: '#6a737d',
}

export function markdownBody(n: Notice): string {
  const parts: string[] = []
  if (n.commits.length > 0) {
    const lines = n.commits.map(
      (c) =>
        `- ${c.url ? `[${shortSha(c.id)}](${c.url})` : `\`${shortSha(c.id)}\``} ${escapeMarkdown(c.message)} — ${escapeMarkdown(c.author)}`,
    )
    if (n.moreCommits > 0) lines.push(`- … and ${n.moreCommits} more`)
    parts.push(`**Changes**\n${lines.join('\n')}`)
  }
  if (n.failedTests.length > 0)
    parts.push(`**Failed tests**\n${n.failedTests.map((t) => `- ${escapeMarkdown(t)}`).join('\n')}`)
  if (n.metricTable) parts.push(metricTableMarkdown(n.metricTable))
  if (n.parity?.length) parts.push(`**${escapeMarkdown(n.parity[0]!)}**\n${fenced(n.parity.slice(1).join('\n'))}`)
  if (n.metrics.length > 0)
    parts.push(
      `**Metric gate**\n${n.metrics.map((m) => `- ${m.ok ? 'ok' : '**FAIL**'} ${escapeMarkdown(m.name)} = ${escapeMarkdown(m.value)} (min ${escapeMarkdown(m.min ?? '–')}, max ${escapeMarkdown(m.max ?? '–')})`).join('\n')}`,
    )
  if (n.notebookSummary)
    parts.push(`**Notebooks**\n${n.notebookSummary}${n.diffUrl ? `\n[Notebook diff](${n.diffUrl})` : ''}`)
  if (n.logExcerpt) parts.push(`**Console (last lines)**\n${fenced(capTail(n.logExcerpt, 3000))}`)
  return parts.join('\n\n')
}

export function mattermostMessage(n: Notice): Record<string, unknown> {
  const title = headline(n)
  return {
    username: 'Tamer',
    text: cap(
      `#### ${escapeMarkdown(title)}${n.test ? `\n**${escapeMarkdown(TEST_NOTICE_NOTE)}**` : ''}${n.buildUrl ? `\n[Open build](${n.buildUrl})` : ''}`,
      4000,
    ),
    attachments: [
      {
        fallback: title,
        color: COLOR[n.outcome],
        fields: facts(n).map(([k, v]) => ({ title: k, value: escapeMarkdown(v), short: true })),
        text: cap(markdownBody(n), 12_000),
      },
    ],
  }
}

export function createMattermostChannel(
  c: ChatChannelConfig,
  o: { timeoutMs: number; now?: () => number },
): NotificationChannel {
  return {
    name: c.name,
    kind: 'mattermost',
    render: (n) => ({ subject: headline(n), payload: mattermostMessage(n) }),
    send: (payload) => postJson(c.url, JSON.stringify(payload), o),
  }
}
