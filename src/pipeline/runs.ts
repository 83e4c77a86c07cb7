// Runs of one rule on a branch's head (issue #14): asked for through the API, `tamer run`, a
// schedule, or started by hand in Jenkins. Each is stored as a delivery holding one push event of
// the branch's head (PushEvent.run), so it takes the push's durable path: committed once (its
// dedupe key makes a retry, a second replica or a second callback the same delivery), routed to
// its one rule, triggered once, followed and notified like any push.
import { randomUUID } from 'node:crypto'
import type { Config, RuleConfig } from '../config/schema.js'
import { BranchGoneError, NotFoundError, RunRequestError } from '../errors.js'
import { COMMIT_ID, type ProviderName, type PushEvent, type RunRequest } from '../events/model.js'
import { templateParameters } from '../jenkins/templates.js'
import type { BranchRecord, BranchStore, RepositoryRecord } from '../store/branches.js'
import type { BuildStore } from '../store/builds.js'
import type { AuditEntry } from '../store/security.js'
import type { DeliveryStore, NewDelivery } from '../store/store.js'
import { noChangedFiles } from './changed-files.js'
import { CONTRACT_PARAMETERS } from './contract.js'
import { evaluateRule, ruleName } from './rules.js'

export interface RunTarget {
  repository: string
  provider?: ProviderName
  branch: string
  /** The rule by name; or `job`, the job one of the repository's rules renders for this branch. */
  rule?: string
  job?: string
  parameters?: Record<string, string>
  /** The caller's tenants (a scoped token); undefined: every tenant. */
  tenants?: readonly string[]
  by: RunRequest['by']
  actor: string
  /** Makes a retried request the same run (the API's Idempotency-Key, a schedule's slot). */
  key?: string
  /** A build already started by hand in Jenkins. */
  started?: RunRequest['started']
  /** The commit that build checked out, when it says (else the branch's head as the registry knows it). */
  commitSha?: string
}

export interface RunAccepted {
  deliveryId: string
  duplicate: boolean
  tenant: string
  provider: ProviderName
  repository: string
  branch: string
  commitSha: string
  rule: string
  job: string
}

/** The audit log's entry of a run, wherever it was asked for (API, console, CLI); `via` says which. */
export function runAudit(a: RunAccepted, actor: string, via?: string): AuditEntry {
  return {
    actor,
    action: 'branch.run',
    target: `${a.repository}@${a.branch}`,
    tenant: a.tenant,
    detail: { deliveryId: a.deliveryId, rule: a.rule, job: a.job, commit: a.commitSha, ...(via ? { via } : {}) },
  }
}

export interface RunDeps {
  config: Pick<Config, 'rules'>
  store: Pick<DeliveryStore, 'recordDelivery'> & Pick<BranchStore, 'findRepositories' | 'getBranch'>
  now: () => number
  /** Told of the stored delivery (the composition root's deliveryStored: the pipeline routes it). */
  stored?: (deliveryId: string, delivery: NewDelivery) => void
}

/** The repository a caller may see by this name (newest first when several tenants or hosts hold one). */
export async function findRepository(
  store: Pick<BranchStore, 'findRepositories'>,
  name: string,
  tenants: readonly string[] | undefined,
  provider?: ProviderName,
): Promise<RepositoryRecord> {
  const found = (await store.findRepositories(name)).find(
    (r) => (!tenants || tenants.includes(r.tenant)) && (!provider || r.provider === provider),
  )
  // Another tenant's repository is answered like a missing one, so names cannot be probed.
  if (!found) throw new NotFoundError(`repository ${name}`)
  return found
}

/** The live branch, 404 when Tamer never saw it, 409 when it was deleted. */
export function liveBranch(repo: RepositoryRecord, name: string, b: BranchRecord | null): BranchRecord {
  if (!b) throw new NotFoundError(`branch ${JSON.stringify(name)} of ${repo.repository}`)
  if (b.deletedAt !== null || b.commitSha === null)
    throw new BranchGoneError(JSON.stringify(name), repo.repository, b.deletedAt ?? 'an unknown time')
  return b
}

/** The parameters a run may set: the rule's own and its template's optional ones, never the contract's. */
export function runnableParameters(rule: RuleConfig): Set<string> {
  const names = new Set(['THRESHOLDS', ...Object.keys(rule.parameters ?? {})])
  if (rule.template) for (const p of templateParameters(rule.template)) names.add(p.name)
  for (const c of CONTRACT_PARAMETERS) names.delete(c)
  return names
}

function runEvent(repo: RepositoryRecord, branch: BranchRecord, runId: string, at: string, run: RunRequest): PushEvent {
  return {
    kind: 'push',
    provider: repo.provider,
    hostDeliveryId: runId,
    tenant: repo.tenant,
    repository: {
      fullName: repo.repository,
      cloneUrl: { https: null, ssh: null },
      webUrl: null,
      defaultBranch: repo.defaultBranch,
    },
    receivedAt: at,
    ref: `refs/heads/${branch.branch}`,
    refType: 'branch',
    branch: branch.branch,
    tag: null,
    // The head, unchanged: nothing to diff, and no commit list of its own.
    before: branch.commitSha!,
    after: branch.commitSha!,
    created: false,
    deleted: false,
    forced: null,
    commits: [],
    totalCommits: 0,
    filesKnown: true,
    pusher: { name: run.actor, email: null, username: null },
    run,
  }
}

/**
 * The rules a run on this branch may start (their tenant and repository conditions; not events, branch
 * or paths), with the job each renders for it. The console lists them per branch.
 */
export async function applicableRules(
  config: Pick<Config, 'rules'>,
  repo: RepositoryRecord,
  branch: BranchRecord,
  runId = 'probe',
  at = new Date(0).toISOString(),
  by: Pick<RunTarget, 'by' | 'actor'> = { by: 'api', actor: 'probe' },
): Promise<{ rule: RuleConfig; index: number; name: string; job: string }[]> {
  const applicable = []
  for (const [index, rule] of config.rules.entries()) {
    const name = ruleName(rule, index)
    const probe = runEvent(repo, branch, runId, at, { by: by.by, actor: by.actor, rule: name, parameters: {} })
    const v = await evaluateRule(rule, index, probe, 0, noChangedFiles)
    if (v.matched && v.job !== undefined) applicable.push({ rule, index, name, job: v.job })
  }
  return applicable
}

/** Checks a run against the registry and the rules, then stores it. Coded errors say what is wrong. */
export async function requestRun(deps: RunDeps, t: RunTarget): Promise<RunAccepted> {
  const repo = await findRepository(deps.store, t.repository, t.tenants, t.provider)
  const known = liveBranch(repo, t.branch, await deps.store.getBranch(repo, t.branch))
  const branch = { ...known, commitSha: t.commitSha ?? known.commitSha }
  const at = new Date(deps.now()).toISOString()
  const runId = t.key ?? `${t.by}:${randomUUID()}`
  const applicable = await applicableRules(deps.config, repo, branch, runId, at, t)
  const names = applicable.map((r) => r.name).join(', ') || 'none'
  let chosen
  if (t.rule !== undefined) {
    chosen = applicable.find((r) => r.name === t.rule)
    if (!chosen)
      throw new RunRequestError(
        `no rule ${JSON.stringify(t.rule)} runs for ${repo.repository} (rules that do: ${names})`,
      )
  } else if (t.job !== undefined) {
    chosen = applicable.find((r) => r.job === t.job)
    if (!chosen)
      throw new RunRequestError(`no rule runs job ${JSON.stringify(t.job)} for ${repo.repository} (rules: ${names})`)
  } else {
    if (applicable.length !== 1)
      throw new RunRequestError(`name a rule: ${applicable.length} rules run for ${repo.repository} (${names})`)
    chosen = applicable[0]!
  }
  const parameters = t.parameters ?? {}
  const allowed = runnableParameters(chosen.rule)
  for (const [name, value] of Object.entries(parameters)) {
    if (!allowed.has(name))
      throw new RunRequestError(
        `rule ${chosen.name} does not let a run set ${name} (it may set: ${[...allowed].sort().join(', ')})`,
      )
    if (typeof value !== 'string') throw new RunRequestError(`parameter ${name} must be a string`)
  }
  const run: RunRequest = {
    by: t.by,
    actor: t.actor,
    rule: chosen.name,
    parameters,
    ...(t.started ? { started: t.started } : {}),
  }
  const event = runEvent(repo, branch, runId, at, run)
  const delivery: NewDelivery = {
    provider: repo.provider,
    dedupeKey: `run:${repo.tenant}:${runId}`,
    hostDeliveryId: runId,
    eventType: 'run',
    tenant: repo.tenant,
    repository: repo.repository,
    status: 'pending',
    headers: {},
    body: Buffer.from(JSON.stringify({ run: { ...run, repository: repo.repository, branch: branch.branch } })),
    normalized: { kind: 'events', events: [event] },
    receivedAt: at,
  }
  const { id, duplicate } = await deps.store.recordDelivery(delivery)
  if (!duplicate) deps.stored?.(id, delivery)
  return {
    deliveryId: id,
    duplicate,
    tenant: repo.tenant,
    provider: repo.provider,
    repository: repo.repository,
    branch: branch.branch,
    commitSha: branch.commitSha!,
    rule: chosen.name,
    job: t.started?.job ?? chosen.job,
  }
}

/** What the templates' callback says of a build started by hand (an empty DELIVERY_ID). */
export interface ManualReport {
  job: string
  buildNumber: number
  buildUrl: string | null
  branch: string
  commitSha: string | null
}

/**
 * A build someone started in Jenkins with a picked branch: recorded as a run of that job's rule on
 * the branch's head, adopted running (never triggered again), then followed and notified. The job's
 * repository and rule are those of the last build Tamer planned on it. Null when Tamer has none.
 */
export async function adoptManualBuild(
  deps: RunDeps & { store: RunDeps['store'] & Pick<BuildStore, 'listBuilds'> },
  r: ManualReport,
): Promise<RunAccepted | null> {
  const [last] = await deps.store.listBuilds({ job: r.job, limit: 1 })
  if (!last?.repository) return null
  const accepted = await requestRun(
    { ...deps, config: { rules: deps.config.rules } },
    {
      repository: last.repository,
      provider: last.provider,
      tenants: [last.tenant],
      branch: r.branch,
      rule: last.rule,
      by: 'jenkins',
      actor: `jenkins:${r.job}#${r.buildNumber}`,
      key: `jenkins:${r.job}#${r.buildNumber}`,
      started: { job: r.job, buildNumber: r.buildNumber, buildUrl: r.buildUrl },
      ...(isCommitId(r.commitSha) ? { commitSha: r.commitSha } : {}),
    },
  )
  return accepted
}

export const isCommitId = (s: string | null | undefined): s is string => typeof s === 'string' && COMMIT_ID.test(s)
