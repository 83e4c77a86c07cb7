// `tamer rules test <delivery-id>` and `tamer jobs sync`: the CLI's views of the pipeline.
import type { Config } from '../config/schema.js'
import { createJenkinsApi, type JenkinsApi } from '../jenkins/client.js'
import { checkJobNamePattern } from '../jenkins/job-name.js'
import { createProvisioner } from '../jenkins/provision.js'
import type { TamerStore } from '../store/builds.js'
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
  const d = await store.getDelivery(deliveryId)
  if (!d) {
    out(`no delivery ${deliveryId}\n`)
    return 1
  }
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

export async function jobsSync(config: Config, store: TamerStore, out: Write, api?: JenkinsApi): Promise<number> {
  const j = config.jenkins
  const client =
    api ??
    (j.url
      ? createJenkinsApi({
          url: j.url,
          user: j.user,
          token: j.token,
          tokenIsPassword: j.tokenIsPassword,
          timeoutMs: j.requestTimeoutMs,
        })
      : null)
  if (!client) {
    out('no Jenkins configured (TAMER_JENKINS_URL)\n')
    return 2
  }
  const provisioner = createProvisioner(client)
  const jobs = new Map<string, string>()
  // Rules with a fixed job name, then every templated job Tamer has started before.
  for (const r of config.rules)
    if (r.template && !/\{/.test(r.job) && !checkJobNamePattern(r.job)) jobs.set(r.job, r.template)
  for (const k of await store.knownJobs()) if (!jobs.has(k.job)) jobs.set(k.job, k.template)
  let failed = 0
  for (const [job, template] of jobs) {
    try {
      out(`${await provisioner.sync(job, template)} ${job} (${template})\n`)
    } catch (err) {
      failed++
      out(`FAILED ${job} (${template}): ${(err as Error).message}\n`)
    }
  }
  if (jobs.size === 0) out('no jobs to sync\n')
  return failed ? 1 : 0
}
