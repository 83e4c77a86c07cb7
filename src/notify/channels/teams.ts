// Microsoft Teams through a Workflows ("When a Teams webhook request is received") or legacy
// incoming webhook: a message whose attachment is an Adaptive Card
// (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
// schema 1.4 as Workflows post it). TextBlocks render a Markdown subset, so text is escaped.
import type { ChatChannelConfig } from '../../config/notifications-schema.js'
import type { NotificationChannel } from '../channel.js'
import { metricTableFacts } from '../../metrics/table.js'
import { facts, headline, shortSha, TEST_NOTICE_NOTE, type Notice } from '../model.js'
import { postJson } from './http-post.js'
import { cap, capTail, escapeMarkdown } from './text-format.js'

const STYLE: Record<Notice['outcome'], string> = {
  'first-failure': 'attention',
  'still-failing': 'attention',
  fixed: 'good',
  unstable: 'warning',
  aborted: 'default',
}

export function adaptiveCard(n: Notice): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: escapeMarkdown(headline(n)),
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
      color: STYLE[n.outcome],
    },
    ...(n.test
      ? [{ type: 'TextBlock', text: escapeMarkdown(TEST_NOTICE_NOTE), weight: 'Bolder', color: 'warning', wrap: true }]
      : []),
    { type: 'FactSet', facts: facts(n).map(([title, value]) => ({ title, value: escapeMarkdown(value) })) },
  ]
  if (n.commits.length > 0) {
    const lines = n.commits.map(
      (c) =>
        `- ${c.url ? `[${shortSha(c.id)}](${c.url})` : shortSha(c.id)} ${escapeMarkdown(c.message)} — ${escapeMarkdown(c.author)}`,
    )
    if (n.moreCommits > 0) lines.push(`- … and ${n.moreCommits} more`)
    body.push(
      { type: 'TextBlock', text: 'Changes', weight: 'Bolder', spacing: 'Medium' },
      { type: 'TextBlock', text: cap(lines.join('\n'), 4000), wrap: true },
    )
  }
  if (n.failedTests.length > 0)
    body.push(
      { type: 'TextBlock', text: 'Failed tests', weight: 'Bolder' },
      { type: 'TextBlock', text: n.failedTests.map((t) => `- ${escapeMarkdown(t)}`).join('\n'), wrap: true },
    )
  if (n.metricTable)
    body.push(
      {
        type: 'TextBlock',
        text: `Metric gate: ${n.metricTable.pass ? 'passed' : 'failed'}${n.metricTable.baseline ? ` (compared with ${escapeMarkdown(n.metricTable.baseline)})` : ''}`,
        weight: 'Bolder',
      },
      {
        type: 'FactSet',
        facts: metricTableFacts(n.metricTable).map((f) => ({
          title: escapeMarkdown(f.title),
          value: escapeMarkdown(f.value),
        })),
      },
    )
  if (n.metrics.length > 0)
    body.push(
      { type: 'TextBlock', text: 'Metric gate', weight: 'Bolder' },
      {
        type: 'FactSet',
        facts: n.metrics.map((m) => ({
          title: escapeMarkdown(m.name),
          value: escapeMarkdown(`${m.value} (min ${m.min ?? '–'}, max ${m.max ?? '–'}) ${m.ok ? 'ok' : 'FAIL'}`),
        })),
      },
    )
  if (n.notebookSummary)
    body.push(
      { type: 'TextBlock', text: 'Notebooks', weight: 'Bolder' },
      { type: 'TextBlock', text: cap(n.notebookSummary, 3000), wrap: true },
    )
  // Monospace keeps the log's columns; escaped so log text is not read as Markdown.
  if (n.logExcerpt)
    body.push(
      { type: 'TextBlock', text: 'Console (last lines)', weight: 'Bolder' },
      {
        type: 'TextBlock',
        text: escapeMarkdown(capTail(n.logExcerpt, 3000)),
        fontType: 'Monospace',
        wrap: true,
        size: 'Small',
      },
    )
  const actions: Record<string, unknown>[] = []
  if (n.buildUrl) actions.push({ type: 'Action.OpenUrl', title: 'Open build', url: n.buildUrl })
  if (n.diffUrl) actions.push({ type: 'Action.OpenUrl', title: 'Notebook diff', url: n.diffUrl })
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(actions.length ? { actions } : {}),
    msteams: { width: 'Full' },
  }
}

export function teamsMessage(n: Notice): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: adaptiveCard(n) },
    ],
  }
}

export function createTeamsChannel(
  c: ChatChannelConfig,
  o: { timeoutMs: number; now?: () => number },
): NotificationChannel {
  return {
    name: c.name,
    kind: 'teams',
    render: (n) => ({ subject: headline(n), payload: teamsMessage(n) }),
    send: (payload) => postJson(c.url, JSON.stringify(payload), o),
  }
}
