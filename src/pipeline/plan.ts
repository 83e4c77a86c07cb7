// Route one delivery: evaluate the rules for each of its events and turn the
// matches into planned builds with their Jenkins parameters.
import type { Config, RuleConfig } from '../config/schema.js'
import { createTenantResolver } from '../config/tenants.js'
import { BadRevisionError } from '../errors.js'
import { COMMIT_ID, type TamerEvent } from '../events/model.js'
import { pullRequestRemoteOf, remoteOf } from '../git/remote.js'
import type { BuildSubject, DeliveryPlan, PlannedBuild } from '../store/builds.js'
import type { StoredDelivery } from '../store/store.js'
import { diffLinksFromConfig } from '../links/diff-links.js'
import type { ChangedFilesSource } from './changed-files.js'
import { maskDeep, maskOf, type Mask } from '../security/secrets.js'
import type { CONTRACT_PARAMETERS } from './contract.js'
import { capEvents, limitsFromConfig, type DeliveryLimits } from '../events/limits.js'
import { branchOf, compileRepositoryPatterns, evaluateRules, type RuleVerdict } from './rules.js'

export interface PlanSettings {
  rules: readonly RuleConfig[]
  jenkinsConfigured: boolean
  publicUrl: string
  changedFiles: ChangedFilesSource
  /** The signed link to a push's diff page, or null when links are not configured. */
  diffUrl(deliveryId: string): string | null
  /** Parameters are masked before they are stored and sent: no Tamer secret reaches Jenkins (or its build pages). */
  mask?: Mask
  /** Caps per delivery (pipeline.maxEventsPerDelivery, pipeline.maxBuildsPerDelivery). */
  limits: DeliveryLimits
  /** REPO_URL: the event's repository on a configured host (git.hosts); throws CloneUrlRefusedError. */
  repoUrl(e: TamerEvent): string
}

export function planSettings(config: Config, changedFiles: ChangedFilesSource): PlanSettings {
  const links = diffLinksFromConfig(config)
  const tenantOf = createTenantResolver(config)
  compileRepositoryPatterns(config.rules)
  // A push's URL depends only on these (and the configured hosts): derived once per repository, not parsed again
  // for every delivery (~2 % of a burst, issue #12). A refused one throws each time.
  const pushRemotes = new Map<string, string>()
  const pushRemote = (e: Exclude<TamerEvent, { kind: 'pull_request' }>) => {
    const key = [e.provider, e.tenant, e.repository.fullName, e.repository.cloneUrl.https ?? ''].join('\n')
    let url = pushRemotes.get(key)
    if (url === undefined) {
      url = remoteOf(e, config.git.hosts)
      if (pushRemotes.size >= 10_000) pushRemotes.clear()
      pushRemotes.set(key, url)
    }
    return url
  }
  return {
    rules: config.rules,
    jenkinsConfigured: config.jenkins.url !== '',
    publicUrl: config.jenkins.publicUrl.replace(/\/+$/, ''),
    changedFiles,
    diffUrl: (id) => links.urlFor(id),
    mask: maskOf(config),
    limits: limitsFromConfig(config),
    repoUrl: (e) => (e.kind === 'pull_request' ? pullRequestRemoteOf(e, config.git.hosts, tenantOf) : pushRemote(e)),
  }
}

/**
 * The commit Jenkins builds: a push's full id; a pull request's head (hex, Bitbucket Cloud abbreviates it). Throws
 * BadRevisionError.
 */
function commitOf(e: TamerEvent): string {
  const sha = e.kind === 'push' ? e.after : (e.source.sha ?? '')
  const ok = e.kind === 'push' ? COMMIT_ID.test(sha) : sha === '' || /^[0-9a-f]{7,64}$/i.test(sha)
  if (!ok) throw new BadRevisionError(JSON.stringify(sha.slice(0, 80)))
  return sha
}

/**
 * Unique per build request, so Jenkins never folds two deliveries into one queue item (it merges requests
 * with equal parameters: jenkinsci/jenkins core/src/main/java/hudson/model/ParametersAction.java, shouldSchedule).
 */
export function deliveryParam(deliveryId: string, eventIndex: number): string {
  return eventIndex === 0 ? deliveryId : `${deliveryId}.${eventIndex}`
}

/** What the build is for, from the event it was planned from (BuildSubject in store/builds.ts). */
export function subjectOf(e: TamerEvent): BuildSubject {
  return {
    tenant: e.tenant,
    provider: e.provider,
    repository: e.repository.fullName,
    ref: e.kind === 'push' ? e.ref : `refs/heads/${e.source.branch}`,
    branch: branchOf(e),
    commitSha: commitOf(e) || null,
    pullRequest: e.kind === 'pull_request' ? e.number : null,
    eventKey: eventKey(e),
  }
}

export function buildParameters(
  d: Pick<StoredDelivery, 'id'>,
  e: TamerEvent,
  eventIndex: number,
  rule: RuleConfig,
  publicUrl: string,
  diffUrl: string | null,
  repoUrl: string,
): Record<string, string> {
  const contract: Record<(typeof CONTRACT_PARAMETERS)[number], string> = {
    // Derived from configured hosts and the signed repository name, never the payload's URL.
    REPO_URL: repoUrl,
    BRANCH: branchOf(e) ?? (e.kind === 'push' ? (e.tag ?? '') : ''),
    COMMIT_SHA: commitOf(e),
    PROVIDER: e.provider,
    // A signed link, so the build page, mails and chat open it without a token.
    DIFF_URL: e.kind === 'push' && !e.deleted && !e.run ? (diffUrl ?? '') : '',
    DELIVERY_ID: deliveryParam(d.id, eventIndex),
    CALLBACK_URL: publicUrl ? `${publicUrl}/api/jenkins/callback` : '',
  }
  // The contract comes last: config load refuses a rule that names one of its parameters, and
  // a rule that got past that (a config not run through checkConfig, src/compose/config.ts) still cannot win.
  // A run's parameters were checked against what the rule lets a run set (runs.ts) before it was stored.
  const given = { ...rule.parameters, ...(e.kind === 'push' ? e.run?.parameters : undefined) }
  const fromRule = Object.fromEntries(
    Object.entries(given).filter(([name]) => !Object.hasOwn(contract, name.toUpperCase())),
  )
  return { THRESHOLDS: '{}', ...fromRule, ...contract }
}

/** The event a build is for, whichever delivery carried it (see PlannedBuild.eventKey). */
export function eventKey(e: TamerEvent): string | null {
  const repo = `${e.provider}|${e.repository.fullName}`
  // Each replay is its own event too: run again on purpose.
  if (e.replay) return `${repo}|replay|${e.replay.key}`
  // Each run is its own event, however often the same head is run.
  if (e.kind === 'push' && e.run) return `${repo}|${e.ref}|run|${e.hostDeliveryId}`
  if (e.kind === 'push') return `${repo}|${e.ref}|${e.before}|${e.after}`
  return e.source.sha ? `${repo}|pr/${e.number}|${e.action}|${e.source.sha}` : null
}

export interface RoutedDelivery {
  plan: DeliveryPlan
  verdicts: RuleVerdict[]
}

/** What routing reads of a delivery: a stored row, or the delivery intake just committed (its events as stored). */
export type RoutableDelivery = Pick<StoredDelivery, 'id' | 'normalized' | 'receivedAt'>

export async function routeDelivery(d: RoutableDelivery, s: PlanSettings): Promise<RoutedDelivery> {
  // Intake already capped the stored events; a delivery stored before the cap (or under a
  // larger one) is capped here too.
  const capped = capEvents(d.normalized, s.limits.maxEvents)
  const events = capped.kind === 'events' ? capped.events : []
  const verdicts = await evaluateRules(s.rules, events, s.changedFiles)
  const builds: PlannedBuild[] = []
  let buildsOver = 0
  const acceptedAt = Date.parse(d.receivedAt)
  for (const v of verdicts) {
    if (!v.matched || v.job === undefined) continue
    // Two rules naming the same job for the same event start it once.
    const twin = builds.find((b) => b.eventIndex === v.eventIndex && b.job === v.job)
    if (twin) {
      v.reasons.push(`job ${v.job} already started for this event by ${twin.rule}`)
      continue
    }
    if (builds.length >= s.limits.maxBuilds) {
      buildsOver++
      v.reasons.push(
        `not started: pipeline.maxBuildsPerDelivery is ${s.limits.maxBuilds}, and that many builds are planned already`,
      )
      continue
    }
    const event = events[v.eventIndex]!
    const rule = s.rules[v.index]!
    let parameters: Record<string, string>
    try {
      parameters = maskDeep(
        buildParameters(d, event, v.eventIndex, rule, s.publicUrl, s.diffUrl(d.id), s.repoUrl(event)),
        s.mask ?? ((x: string) => x),
      )
    } catch (err) {
      // A repository not on a configured host, or a revision that is not a commit id: recorded, not built.
      v.matched = false
      v.reasons.push(`not started: ${(err as Error).message}`)
      continue
    }
    builds.push({
      deliveryId: d.id,
      eventIndex: v.eventIndex,
      rule: v.rule,
      job: v.job,
      template: v.template ?? null,
      ...subjectOf(event),
      parameters,
      state: s.jenkinsConfigured ? 'pending' : 'not-triggered',
      ...(event.kind === 'push' && event.run?.started && s.jenkinsConfigured ? { started: event.run.started } : {}),
      acceptedAt: Number.isNaN(acceptedAt) ? Date.now() : acceptedAt,
    })
  }
  const outcome = builds.length === 0 ? 'no rule matched' : s.jenkinsConfigured ? 'triggered' : 'recorded'
  const evaluation = verdicts.map(({ rule, eventIndex, matched, reasons, job, pathsUnevaluated }) => ({
    rule,
    eventIndex,
    matched,
    reasons,
    ...(job !== undefined && matched ? { job } : {}),
    ...(pathsUnevaluated ? { pathsUnevaluated } : {}),
  }))
  const skipped = {
    events: capped.kind === 'events' ? (capped.skipped ?? null) : null,
    builds: buildsOver
      ? {
          kept: builds.length,
          skipped: buildsOver,
          reason: `pipeline.maxBuildsPerDelivery is ${s.limits.maxBuilds}: builds after the first ${builds.length} of ${builds.length + buildsOver} are skipped`,
        }
      : null,
  }
  return {
    plan: { deliveryId: d.id, outcome, evaluation, builds, ...(skipped.events || skipped.builds ? { skipped } : {}) },
    verdicts,
  }
}
