// Sign-off through Tamer (issue #15, item 4). The data-science template's deploy stage tells Tamer it
// is about to wait on `input id: 'TamerSignoff'` (a signed POST, like the callback and the metrics):
// pushed rather than found by polling each running build's wfapi/pendingInputActions, because the
// template knows the moment and the environment, the post is signed with the secret Jenkins already
// holds, and polling would cost a request per running build per poll (the follow step backs off to
// 60 s when callbacks work). Tamer then mails each required party their own signed links, records each
// decision once, and settles the Jenkins input itself (its user is the step's only submitter) only
// when every party approved (proceed) or as soon as one rejected (abort). Before settling it checks
// wfapi/pendingInputActions, so an input not reached yet is retried rather than guessed at.
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.js'
import { BadSignoffError, NotFoundError } from '../errors.js'
import type { JenkinsApi } from '../jenkins/client.js'
import type { SignoffLinks } from '../links/signoff-links.js'
import type { RepoSettings } from '../metrics/settings.js'
import { smtpConfigured } from '../notify/channels/email.js'
import type { BuildRecord, TamerStore } from '../store/builds.js'
import type { NewNotification } from '../store/notifications.js'
import type { DecideOutcome, SignoffDecision, SignoffRecord, SignoffStore } from '../store/signoffs.js'
import type { Timers } from '../work/timers.js'
import { signoffMail } from './mail.js'
import { signoffChatChannels, signoffChatNotices, type SignoffChatInput } from './chat.js'
import type { ChannelRegistry } from '../notify/channels/index.js'

/** The input step's id the templates use (Jenkins capitalizes an id's first letter: InputStep.setId). */
export const SIGNOFF_INPUT_ID = 'TamerSignoff'

export interface SignoffRequest {
  deliveryId: string
  job: string
  buildNumber: number | null
  environment: string
  inputId: string
  message: string
}

export interface SignoffDeps {
  config: Pick<Config, 'jenkins' | 'metrics' | 'notifications'>
  store: Pick<TamerStore, 'findBuildByDeliveryParam' | 'getBuild'> & SignoffStore
  /** The build's `.tamer.yml` joined with metrics.policies (the metric gate's). */
  settingsOf(b: BuildRecord): Promise<RepoSettings>
  jenkins: JenkinsApi | null
  links: SignoffLinks
  logger: Logger
  now: () => number
  timers: Timers
  /** The requests are in the outbox: send them. */
  wakeNotifier(): void
  /** The build's sign-off changed (the PR comment shows it). */
  changed(buildId: string): void
  /** The notifier's channels: the build's chat channels get a "sign-off needed" notice (src/signoff/chat.ts). */
  channels?: ChannelRegistry
  /** Masked in chat notices (src/security/secrets.ts). */
  secrets?: readonly string[]
  /** How often settling Jenkins inputs is retried (default 30 s). */
  retryEveryMs?: number
}

export interface SignoffService {
  request(r: SignoffRequest): Promise<{ signoff: SignoffRecord; created: boolean; submitter: string }>
  decide(
    signoffId: string,
    party: string,
    decision: SignoffDecision,
  ): Promise<{ outcome: DecideOutcome; signoff: SignoffRecord | null }>
  /** Settles every decided sign-off whose Jenkins input is not settled yet (retries). */
  sweep(): Promise<void>
  start(): void
  stop(): void
}

const END_STATES = new Set(['finished', 'cancelled', 'lost', 'refused'])

export function createSignoffService(d: SignoffDeps): SignoffService {
  const { store, config } = d
  const retryEveryMs = d.retryEveryMs ?? 30_000
  let timer: unknown = null
  let stopped = true

  async function settle(s: SignoffRecord): Promise<void> {
    if (s.state === 'waiting' || s.jenkinsAction !== null) return
    const action = s.state === 'approved' ? 'proceed' : 'abort'
    const b = await store.getBuild(s.buildId)
    const log = d.logger.child({ buildId: s.buildId, signoffId: s.id })
    const fail = async (error: string) => {
      log.warn({ err: error, action }, 'the Jenkins input is not settled yet; will retry')
      await store.recordSignoffAction(s.id, { action: null, error: error.slice(0, 500) })
    }
    if (!d.jenkins) return fail('no Jenkins is configured (jenkins.url)')
    if (!b || b.buildNumber === null) return fail('Tamer does not know the Jenkins build number yet')
    try {
      const pending = await d.jenkins.pendingInputs(b.job, b.buildNumber)
      if (!pending.some((i) => i.id === s.inputId))
        return fail(`Jenkins lists no pending input ${s.inputId} on ${b.job} #${b.buildNumber}`)
      await d.jenkins.settleInput(b.job, b.buildNumber, s.inputId, action)
    } catch (err) {
      return fail((err as Error).message)
    }
    await store.recordSignoffAction(s.id, {
      action,
      error: null,
      audit: {
        actor: 'tamer',
        action: action === 'proceed' ? 'signoff.proceed' : 'signoff.abort',
        target: s.id,
        tenant: s.tenant,
        detail: { buildId: s.buildId, job: b.job, buildNumber: b.buildNumber, inputId: s.inputId },
      },
    })
    log.info({ action, job: b.job, buildNumber: b.buildNumber }, 'sign-off settled the Jenkins input')
    d.changed(s.buildId)
  }

  async function sweep(): Promise<void> {
    for (const s of await store.unsettledSignoffs(50)) {
      const b = await store.getBuild(s.buildId)
      // A build that ended meanwhile (its input timed out, someone aborted it) has nothing left to settle.
      if (b && END_STATES.has(b.state)) continue
      await settle(s)
    }
  }

  const schedule = () => {
    if (stopped) return
    timer = d.timers.set(() => {
      timer = null
      void sweep()
        .catch((err: unknown) => d.logger.error({ err }, 'sign-off sweep failed'))
        .finally(schedule)
    }, retryEveryMs)
  }

  /** The build's chat channels' notices (src/signoff/chat.ts): the request, or with `decided` its outcome. */
  function chatNotices(
    build: BuildRecord,
    s: Pick<SignoffChatInput, 'environment' | 'message' | 'parties' | 'expiresAt' | 'decided'>,
  ): NewNotification[] {
    if (!d.channels) return []
    const base = config.jenkins.publicUrl.replace(/\/+$/, '')
    return signoffChatNotices(
      {
        ...s,
        build,
        consoleUrl: base ? `${base}/ui/builds/${encodeURIComponent(build.id)}` : null,
        secrets: d.secrets ?? [],
      },
      signoffChatChannels(config.notifications, d.channels, build),
      d.channels,
      randomUUID,
    )
  }

  return {
    async request(r) {
      const build = await store.findBuildByDeliveryParam(r.job, r.deliveryId)
      if (!build) throw new NotFoundError('build')
      const settings = await d.settingsOf(build)
      const parties = settings.signoff[r.environment] ?? []
      if (parties.length === 0)
        throw new BadSignoffError(
          `nobody signs off ${r.environment}: name the parties in .tamer.yml (signoff.${r.environment}) or in Tamer's metrics.policies[].signoff`,
        )
      if (!smtpConfigured(config.notifications.smtp))
        throw new BadSignoffError('no SMTP server is configured (notifications.smtp), so no party could be asked')
      const id = randomUUID()
      const expiresAt = d.now() + config.metrics.signoffTtlHours * 3_600_000
      const exp = Math.floor(expiresAt / 1000)
      const withNumber =
        r.buildNumber !== null && build.buildNumber === null ? { ...build, buildNumber: r.buildNumber } : build
      const notices: NewNotification[] = []
      for (const party of parties) {
        const approveUrl = d.links.urlFor({ signoffId: id, party, decision: 'approved', exp })
        const rejectUrl = d.links.urlFor({ signoffId: id, party, decision: 'rejected', exp })
        if (!approveUrl || !rejectUrl)
          throw new BadSignoffError('sign-off links need links.secret and jenkins.publicUrl (TAMER_PUBLIC_URL)')
        const notificationId = randomUUID()
        const payload = signoffMail({
          build: withNumber,
          environment: r.environment,
          message: r.message,
          party,
          parties,
          approveUrl,
          rejectUrl,
          expiresAt,
          from: config.notifications.smtp.from,
          notificationId,
        })
        notices.push({
          id: notificationId,
          buildId: build.id,
          tenant: build.tenant,
          repository: build.repository,
          branch: build.branch,
          channel: 'email',
          kind: 'email',
          outcome: 'signoff-request',
          recipients: [party],
          subject: payload.subject,
          payload,
        })
      }
      // Chat gets who must approve, never the links: those are bound to a party, and a channel cannot prove who clicks.
      notices.push(...chatNotices(withNumber, { environment: r.environment, message: r.message, parties, expiresAt }))
      const { signoff, created } = await store.createSignoff(
        {
          id,
          buildId: build.id,
          tenant: build.tenant,
          repository: build.repository,
          environment: r.environment,
          inputId: r.inputId,
          message: r.message,
          parties,
          expiresAt,
        },
        notices,
        {
          actor: `jenkins:${r.job}${r.buildNumber !== null ? ` #${r.buildNumber}` : ''}`,
          action: 'signoff.request',
          target: id,
          tenant: build.tenant,
          detail: { buildId: build.id, environment: r.environment, inputId: r.inputId, parties },
        },
      )
      if (created) {
        d.logger.info({ buildId: build.id, signoffId: id, parties: parties.length }, 'sign-off requested')
        d.wakeNotifier()
        d.changed(build.id)
      }
      return { signoff, created, submitter: config.jenkins.user }
    },
    async decide(signoffId, party, decision) {
      const before = await store.getSignoff(signoffId)
      // The outcome for the chat channels, stored by the store only if this decision settles the sign-off.
      const b = before ? await store.getBuild(before.buildId) : null
      const outcome = (state: SignoffDecision, by: string) =>
        b && before
          ? chatNotices(b, { ...before, parties: before.parties.map((p) => p.party), decided: { state, by } })
          : []
      const r = await store.decideSignoff(
        signoffId,
        party,
        decision,
        {
          actor: `party:${party}`,
          action: decision === 'approved' ? 'signoff.approve' : 'signoff.reject',
          target: signoffId,
          tenant: before?.tenant ?? null,
          detail: { buildId: before?.buildId ?? null, environment: before?.environment ?? null },
        },
        {
          approved: outcome('approved', before?.parties.map((p) => p.party).join(', ') ?? party),
          rejected: outcome('rejected', party),
        },
      )
      if (r.outcome === 'recorded' && r.signoff) {
        if (r.signoff.state !== 'waiting') d.wakeNotifier()
        d.changed(r.signoff.buildId)
        await settle(r.signoff)
        return { outcome: r.outcome, signoff: await store.getSignoff(signoffId) }
      }
      return r
    },
    sweep,
    start() {
      stopped = false
      void sweep().catch((err: unknown) => d.logger.error({ err }, 'sign-off sweep failed'))
      schedule()
    },
    stop() {
      stopped = true
      if (timer !== null) d.timers.clear(timer)
      timer = null
    },
  }
}
