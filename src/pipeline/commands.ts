// `tamer rules test <delivery-id>` and `tamer jobs sync`: the CLI's views of the pipeline.
import type { Config } from '../config/schema.js'
import { jenkinsApiFromConfig, type JenkinsApi } from '../jenkins/client.js'
import { checkJobNamePattern } from '../jenkins/job-name.js'
import { createProvisioner } from '../jenkins/provision.js'
import type { TamerStore } from '../store/builds.js'
import type { BranchStore } from '../store/branches.js'
import { remoteOf } from '../git/remote.js'
import { jobContexts } from './branches.js'
import { noChangedFiles, type ChangedFilesSource } from './changed-files.js'
import { planSettings, routeDelivery } from './plan.js'

type Write = (s: string) => void

export async function rulesTest(
  config: Config,
  store: TamerStore,
  deliveryId: string,
  out: Write,
  changedFiles: ChangedFilesSource = noChangedFiles,
): Promise<number> {
  // Tamer's id, or the host's delivery GUID (what GitHub's "Recent deliveries" shows).
  const byHost = await store.deliveriesByHostId(deliveryId)
  const d = (await store.getDelivery(deliveryId)) ?? (byHost.length === 1 ? byHost[0] : undefined)
  if (!d && byHost.length > 1) {
    out(`${byHost.length} deliveries have host delivery id ${deliveryId}; name one by Tamer's id:\n`)
    for (const h of byHost) out(`  ${h.id} ${h.provider} ${h.eventType} ${h.repository ?? '-'} (${h.receivedAt})\n`)
    return 1
  }
  if (!d) {
    out(`no delivery ${deliveryId} (neither Tamer's delivery id nor a host delivery id)\n`)
    return 1
  }
  if (d.id !== deliveryId) out(`host delivery id ${deliveryId} is Tamer's delivery ${d.id}\n`)
  out(`delivery ${d.id}: ${d.provider} ${d.eventType} ${d.repository ?? '-'} (tenant ${d.tenant}, ${d.status})\n`)
  if (d.normalized.kind !== 'events') {
    out(`nothing to route: ${d.normalized.kind === 'ping' ? 'ping' : `ignored (${d.normalized.reason})`}\n`)
    return 0
  }
  if (config.rules.length === 0) out('no rules are configured\n')
  const { plan, verdicts } = await routeDelivery(d, planSettings(config, changedFiles))
  for (const v of verdicts) {
    out(
      `${v.matched ? 'MATCH' : 'no   '} ${v.rule} (event ${v.eventIndex})${v.pathsUnevaluated ? ' [path condition not evaluated]' : ''}\n`,
    )
    for (const r of v.reasons) out(`        ${r}\n`)
  }
  out(`=> ${plan.outcome}${plan.builds.length ? `: ${plan.builds.map((b) => b.job).join(', ')}` : ''}\n`)
  if (plan.skipped?.events) out(`skipped ${plan.skipped.events.skipped} event(s): ${plan.skipped.events.reason}\n`)
  if (plan.skipped?.builds) out(`skipped ${plan.skipped.builds.skipped} build(s): ${plan.skipped.builds.reason}\n`)
  const recorded = await store.getDispatch(d.id)
  if (recorded) out(`recorded at ${recorded.decidedAt}: ${recorded.outcome}\n`)
  return 0
}

export async function jobsSync(
  config: Config,
  store: TamerStore & Partial<Pick<BranchStore, 'branchChoices'>>,
  out: Write,
  opts: {
    api?: JenkinsApi
    /** The branch registry's catch-up (BranchTracker.catchUp): a job's choices include a branch pushed a moment ago. */
    catchUp?: () => Promise<void>
  } = {},
): Promise<number> {
  const j = config.jenkins
  const client = opts.api ?? jenkinsApiFromConfig(j)
  if (!client) {
    out('no Jenkins configured (TAMER_JENKINS_URL)\n')
    return 2
  }
  const provisioner = createProvisioner(client)
  const jobs = new Map<string, string>()
  // Rules with a fixed job name, then every templated job Tamer has started before. A job named per
  // event ({repo}, {branch}, …) has no name until an event renders it: the pipeline creates it from
  // its template right before the first trigger (provisioner.ensure in steps.ts); from then on it is
  // a known job and synced here. Said per rule, so "nothing to sync" is never silent.
  const skipped: string[] = []
  for (const r of config.rules) {
    if (!r.template) skipped.push(`${r.name}: no template (job ${r.job} is Jenkins's own; Tamer only triggers it)`)
    else if (/\{/.test(r.job) || checkJobNamePattern(r.job))
      skipped.push(
        `${r.name}: job ${r.job} is named per event; Tamer creates it from template ${r.template} when the rule ` +
          'first triggers, and syncs it here from then on',
      )
    else jobs.set(r.job, r.template)
  }
  await opts.catchUp?.()
  for (const k of await store.knownJobs()) if (!jobs.has(k.job)) jobs.set(k.job, k.template)
  // A job that built a repository keeps that repository's branch choices and defaults (issue #14).
  const contextOf = store.branchChoices
    ? jobContexts({
        store: { branchChoices: store.branchChoices.bind(store) },
        maxChoices: config.branches.maxChoices,
        publicUrl: j.publicUrl,
        remoteOf: (k) => {
          try {
            return remoteOf(
              { ...k, repository: { fullName: k.repository, cloneUrl: { https: null, ssh: null } } },
              config.git.hosts,
            )
          } catch {
            return null
          }
        },
      })
    : null
  const counts = new Map<string, number>()
  for (const [job, template] of jobs) {
    let outcome: string
    try {
      const [last] = await store.listBuilds({ job, limit: 1 })
      const ctx =
        contextOf && last?.repository
          ? await contextOf({ tenant: last.tenant, provider: last.provider, repository: last.repository }, null)
          : undefined
      outcome = await provisioner.sync(job, template, ctx)
      out(`${outcome} ${job} (${template})\n`)
    } catch (err) {
      outcome = 'failed'
      out(`FAILED ${job} (${template}): ${(err as Error).message}\n`)
    }
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
  }
  for (const s of skipped) out(`skipped rule ${s}\n`)
  const done = [...counts].map(([outcome, n]) => `${n} ${outcome}`)
  out(
    jobs.size === 0
      ? `no jobs to sync (${config.rules.length} rule(s), ${skipped.length} skipped; no job started yet)\n`
      : `synced ${jobs.size} job(s): ${done.join(', ')}${skipped.length ? `; ${skipped.length} rule(s) skipped` : ''}\n`,
  )
  return counts.get('failed') ? 1 : 0
}
