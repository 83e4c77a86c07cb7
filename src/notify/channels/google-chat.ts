// Google Chat incoming webhook (https://developers.google.com/workspace/chat/quickstart/webhooks):
// a message with `text` (Chat's own markup: *bold*, <url|text>) and a cardsV2 card.
// Card text fields take a small HTML subset, so everything put there is HTML-escaped.
import type { ChatChannelConfig } from '../../config/notifications-schema.js'
import type { NotificationChannel } from '../channel.js'
import { metricTableFacts } from '../../metrics/table.js'
import { escapeHtml } from '../render/html-escape.js'
import { facts, headline, shortSha, TEST_NOTICE_NOTE, type Notice } from '../model.js'
import { postJson } from './http-post.js'
import { cap, capTail, escapeSlack } from './text-format.js'

export function googleChatMessage(n: Notice, notificationId: string): Record<string, unknown> {
  const title = headline(n)
  const widgets: Record<string, unknown>[] = facts(n).map(([k, v]) => ({
    decoratedText: { topLabel: escapeHtml(k), text: escapeHtml(v), wrapText: true },
  }))
  const sections: Record<string, unknown>[] = [{ widgets }]
  if (n.test) sections.unshift({ widgets: [{ textParagraph: { text: `<b>${escapeHtml(TEST_NOTICE_NOTE)}</b>` } }] })
  if (n.commits.length > 0) {
    const lines = n.commits.map(
      (c) =>
        `${c.url ? `<a href="${escapeHtml(c.url)}">${shortSha(c.id)}</a>` : shortSha(c.id)} ${escapeHtml(c.message)} — ${escapeHtml(c.author)}`,
    )
    if (n.moreCommits > 0) lines.push(`… and ${n.moreCommits} more`)
    sections.push({ header: 'Changes', widgets: [{ textParagraph: { text: cap(lines.join('<br>'), 4000) } }] })
  }
  if (n.failedTests.length > 0)
    sections.push({
      header: 'Failed tests',
      widgets: [{ textParagraph: { text: n.failedTests.map(escapeHtml).join('<br>') } }],
    })
  if (n.metricTable)
    sections.push({
      header: `Metric gate: ${n.metricTable.pass ? 'passed' : 'failed'}`,
      widgets: metricTableFacts(n.metricTable).map((f) => ({
        decoratedText: { topLabel: escapeHtml(f.title), text: escapeHtml(f.value) },
      })),
    })
  if (n.metrics.length > 0)
    sections.push({
      header: 'Metric gate',
      widgets: n.metrics.map((m) => ({
        decoratedText: {
          topLabel: escapeHtml(m.name),
          text: escapeHtml(`${m.value} (min ${m.min ?? '–'}, max ${m.max ?? '–'}) ${m.ok ? 'ok' : 'FAIL'}`),
        },
      })),
    })
  // Card text is a small HTML subset, not Markdown: the plain-text summary.
  const summary = n.notebookSummaryText ?? n.notebookSummary
  if (summary)
    sections.push({
      header: 'Notebooks',
      widgets: [{ textParagraph: { text: escapeHtml(cap(summary, 3000)).replace(/\n/g, '<br>') } }],
    })
  if (n.logExcerpt)
    sections.push({
      header: 'Console (last lines)',
      collapsible: true,
      widgets: [
        {
          textParagraph: {
            text: `<font color="#444444">${escapeHtml(capTail(n.logExcerpt, 3000)).replace(/\n/g, '<br>')}</font>`,
          },
        },
      ],
    })
  const buttons: Record<string, unknown>[] = []
  if (n.buildUrl) buttons.push({ text: 'Open build', onClick: { openLink: { url: n.buildUrl } } })
  if (n.diffUrl) buttons.push({ text: 'Notebook diff', onClick: { openLink: { url: n.diffUrl } } })
  if (buttons.length > 0) sections.push({ widgets: [{ buttonList: { buttons } }] })
  return {
    text: `*${escapeSlack(title)}*${n.test ? `\n${escapeSlack(TEST_NOTICE_NOTE)}` : ''}`,
    cardsV2: [
      { cardId: `tamer-${notificationId}`, card: { header: { title: cap(title, 200), subtitle: n.tenant }, sections } },
    ],
  }
}

export function createGoogleChatChannel(
  c: ChatChannelConfig,
  o: { timeoutMs: number; now?: () => number },
): NotificationChannel {
  return {
    name: c.name,
    kind: 'google-chat',
    render: (n, ctx) => ({ subject: headline(n), payload: googleChatMessage(n, ctx.notificationId) }),
    send: (payload) => postJson(c.url, JSON.stringify(payload), o),
  }
}
