// The decision for one finished build: which outcome, which rules, who and which channels;
// then the decision and its rendered notices go to the store in one transaction. A crash
// before that write decides again after the restart; after it, never again.
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import type { BuildRecord, TamerStore } from '../store/builds.js'
import type { NewNotification, NoticeDecision, NotificationStore } from '../store/notifications.js'
import type { StoredDelivery } from '../store/store.js'
import { recipientList } from './addresses.js'
import type { ChannelRegistry } from './channels/index.js'
import { buildNotice, culpritAddresses, pushOf, pusherAddress } from './content.js'
import { headline } from './model.js'
import type { NotebookSummarySource } from './notebook-summary.js'
import { branchHistory, branchOf, classifyOutcome, threadKeyOf } from './outcome.js'
import { matchingRules, rulePasses } from './rules.js'
import type { DiffLinks } from '../links/diff-links.js'
import type { Verdict } from '../metrics/evaluate.js'
import type { ParityResult } from '../parity/result.js'

export interface PlannerDeps {
  config: Config
  store: TamerStore & NotificationStore
  channels: ChannelRegistry
  notebookSummary: NotebookSummarySource
  /** The same signed links Jenkins gets as DIFF_URL. */
  links: DiffLinks
  secrets: readonly string[]
  now(): number
  /** A child per build (`{ buildId }`), made by the notifier. */
  logger: Logger
  newId?: () => string
  /** The metric gate's verdict of a build and the recipients its `.tamer.yml` names (issue #15). */
  metrics?: NoticeMetricsSource
}

export interface NoticeMetricsSource {
  verdictOf(b: BuildRecord): Promise<Verdict | null>
  /** `notify.to` of the build's `.tamer.yml`; [] when it has none or it cannot be read now. */
  recipientsOf(b: BuildRecord): Promise<string[]>
  /** The build's sign-off state, one line per sign-off (src/notify/signoff-state.ts); none by default. */
  signoffsOf?(b: BuildRecord): Promise<string[]>
  /** The build's latest dev/prod parity result (issue #15 item 3); none by default. */
  parityOf?(b: BuildRecord): Promise<ParityResult | null>
  /** The metric chart (SVG) of the build's branch beside the default branch; none by default. */
  chartOf?(b: BuildRecord): Promise<string | null>
}

/** How far back a red branch is searched for its culprits. */
const HISTORY = 200

export async function planBuild(d: PlannerDeps, b: BuildRecord): Promise<void> {
  const { decision, notices } = await decide(d, b)
  const stored = await d.store.recordDecision(decision, notices, d.now())
  if (stored && notices.length > 0)
    d.logger.info(
      {
        outcome: decision.outcome,
        notices: notices.map((n) => ({ id: n.id, channel: n.channel, recipients: n.recipients.length })),
      },
      'notices stored',
    )
}

async function decide(
  d: PlannerDeps,
  b: BuildRecord,
): Promise<{ decision: NoticeDecision; notices: NewNotification[] }> {
  const threadKey = threadKeyOf(b)
  const base = { buildId: b.id, threadKey, decidedAt: d.now() }
  const earlier = await d.store.listBuilds({ job: b.job, state: 'finished', before: b.seq, limit: HISTORY })
  const history = branchHistory(b, earlier)
  const outcome = classifyOutcome(b.result, history.previous?.result ?? null)
  if (!outcome)
    return {
      decision: { ...base, outcome: null, notified: false, reason: `${b.result ?? 'no result'}: nothing to announce` },
      notices: [],
    }

  const last = await d.store.lastNotifiedDecision(threadKey)
  const buildsSince = last ? (await d.store.decisionsAfter(threadKey, last.buildId)) + 1 : 0
  const rules = matchingRules(d.config.notifications.rules, b).filter((r) =>
    rulePasses(r, outcome, { last, buildsSince, now: d.now() }),
  )
  if (rules.length === 0)
    return {
      decision: {
        ...base,
        outcome,
        notified: false,
        reason: 'no rule wants this outcome now (or still failing was throttled)',
      },
      notices: [],
    }

  const deliveries = new Map<string, StoredDelivery>()
  for (const x of [...history.sinceGreen, b]) {
    if (deliveries.has(x.deliveryId)) continue
    const del = await d.store.getDelivery(x.deliveryId)
    if (del) deliveries.set(del.id, del)
  }
  const ctx = { build: b, sinceGreen: history.sinceGreen, deliveries }
  const raw: (string | null)[] = []
  for (const r of rules) raw.push(...r.to)
  // The repository's own recipients join whenever a rule of Tamer's config sends this notice.
  if (d.metrics) raw.push(...(await d.metrics.recipientsOf(b).catch(() => [])))
  if (rules.some((r) => r.culprits)) raw.push(...culpritAddresses(ctx))
  if (rules.some((r) => r.pusher)) raw.push(pusherAddress(b, deliveries))
  const recipients = recipientList(raw, d.config.notifications.maxRecipients)
  const channelNames = [...new Set(rules.flatMap((r) => r.channels))]

  const wantsEmail = recipients.addresses.length > 0 && d.channels.has('email')
  if (!wantsEmail && channelNames.length === 0)
    return {
      decision: {
        ...base,
        outcome,
        notified: false,
        reason: recipients.addresses.length > 0 ? 'SMTP is not configured' : 'no recipient and no channel',
      },
      notices: [],
    }

  const summary = await d.notebookSummary.summary(b, pushOf(b, deliveries)).catch(() => null)
  const notice = buildNotice({
    ...ctx,
    outcome,
    lastGreen: history.lastGreen,
    secrets: d.secrets,
    logLines: d.config.notifications.logLines,
    notebookSummary: summary,
    diffLink: (id) => d.links.urlFor(id),
    metricVerdict: d.metrics ? await d.metrics.verdictOf(b).catch(() => null) : null,
    signoffs: (await d.metrics?.signoffsOf?.(b).catch(() => [])) ?? [],
    parity: (await d.metrics?.parityOf?.(b).catch(() => null)) ?? null,
    chartSvg: (await d.metrics?.chartOf?.(b).catch(() => null)) ?? null,
  })
  const notices: NewNotification[] = []
  const add = (channelName: string, to: string[]) => {
    const channel = d.channels.get(channelName)
    if (!channel)
      return d.logger.warn({ channel: channelName }, 'a notification rule names a channel that is not configured')
    const id = (d.newId ?? randomUUID)()
    const rendered = channel.render(notice, { notificationId: id, threadKey, recipients: to })
    notices.push({
      id,
      buildId: b.id,
      tenant: b.tenant,
      repository: notice.repository,
      branch: branchOf(b),
      channel: channel.name,
      kind: channel.kind,
      outcome,
      recipients: to,
      subject: rendered.subject,
      payload: rendered.payload,
    })
  }
  if (wantsEmail) add('email', recipients.addresses)
  for (const name of channelNames) add(name, [])
  if (recipients.invalid + recipients.noreply + recipients.overLimit > 0)
    d.logger.info(
      { invalid: recipients.invalid, noreply: recipients.noreply, overLimit: recipients.overLimit },
      'some addresses were not mailed',
    )
  return { decision: { ...base, outcome, notified: notices.length > 0, reason: headline(notice) }, notices }
}
