// Routing rules: which events of a delivery start which jobs, and why. Every
// condition that was checked is reported, so `tamer rules test` can explain a
// match or a miss without guessing.
import picomatch from 'picomatch'
import type { RuleConfig } from '../config/schema.js'
import type { PushEvent, TamerEvent } from '../events/model.js'
import { renderJobName, type JobNameValues } from '../jenkins/job-name.js'
import { filesFromCommits, type ChangedFilesSource } from './changed-files.js'

export type EventKind = 'push' | 'tag' | 'pull_request'

export interface RuleVerdict {
  rule: string
  index: number
  eventIndex: number
  matched: boolean
  /** One line per condition checked, in order; the first failing one ends the list. */
  reasons: string[]
  /** Set when matched. */
  job?: string
  template?: string | null
  /** The path condition could not be evaluated (no file list yet) and was treated as matching. */
  pathsUnevaluated?: boolean
}

export function ruleName(rule: RuleConfig, index: number): string {
  return rule.name ?? `rule ${index}`
}

export function eventKind(e: TamerEvent): EventKind {
  return e.kind === 'pull_request' ? 'pull_request' : e.refType === 'tag' ? 'tag' : 'push'
}

/** Pull requests that are closed or merged start nothing; neither do deleted refs. */
function inert(e: TamerEvent): string | null {
  if (e.kind === 'push' && e.deleted) return `${e.ref} was deleted`
  if (e.kind === 'pull_request' && !['opened', 'updated', 'reopened', 'synchronize'].includes(e.action))
    return `pull request ${e.action}`
  return null
}

const fullMatch = (source: string) => new RegExp(`^(?:${source})$`)

/** Each rule's repository pattern compiled once (compiling it for every delivery was ~2 % of a burst, issue #12). */
const repositoryMatchers = new Map<string, (name: string) => boolean>()

/** Compiles the rules' repository patterns now (at start), not in the first burst's first route (issue #12). */
export function compileRepositoryPatterns(rules: readonly Pick<RuleConfig, 'repository'>[]): void {
  for (const r of rules) if (r.repository !== undefined) repositoryMatches(r.repository, '')
}

function repositoryMatches(pattern: string, name: string): boolean {
  let match = repositoryMatchers.get(pattern)
  if (!match) {
    if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/')) {
      const re = new RegExp(pattern.slice(1, -1))
      match = (n) => re.test(n)
    } else match = picomatch(pattern, { nocase: true, dot: true })
    // The patterns come from the config: a handful; the cap only keeps a misuse from growing it without end.
    if (repositoryMatchers.size >= 1000) repositoryMatchers.clear()
    repositoryMatchers.set(pattern, match)
  }
  return match(name)
}

export function branchOf(e: TamerEvent): string | null {
  return e.kind === 'pull_request' ? e.source.branch : e.branch
}

export function jobNameValues(e: TamerEvent): JobNameValues {
  const full = e.repository.fullName
  const parts = full.split('/')
  return {
    tenant: e.tenant,
    owner: parts.slice(0, -1).join('/') || null,
    repo: parts[parts.length - 1] ?? null,
    repository: full,
    branch: branchOf(e),
    tag: e.kind === 'push' ? e.tag : null,
    ref: e.kind === 'push' ? (e.branch ?? e.tag) : e.source.branch,
    event: eventKind(e),
    provider: e.provider,
  }
}

async function pathVerdict(
  globs: string[],
  e: TamerEvent,
  source: ChangedFilesSource,
): Promise<{ ok: boolean; reason: string; unevaluated?: boolean }> {
  if (e.kind !== 'push')
    return {
      ok: true,
      reason: 'paths: not checked for pull requests (no file list in the event); treated as matching',
      unevaluated: true,
    }
  const files = e.filesKnown ? filesFromCommits(e) : await source.changedFiles(e as PushEvent)
  if (files === null)
    return {
      ok: true,
      reason:
        'paths: the host sent no file list and changed files from git are not available yet; condition not evaluated, treated as matching',
      unevaluated: true,
    }
  const isMatch = picomatch(globs, { dot: true })
  const hit = files.find((f) => isMatch(f))
  return hit
    ? { ok: true, reason: `paths: ${hit} matches ${globs.join(', ')}` }
    : { ok: false, reason: `paths: none of ${files.length} changed file(s) match ${globs.join(', ')}` }
}

export async function evaluateRule(
  rule: RuleConfig,
  index: number,
  e: TamerEvent,
  eventIndex: number,
  source: ChangedFilesSource,
): Promise<RuleVerdict> {
  const v: RuleVerdict = { rule: ruleName(rule, index), index, eventIndex, matched: false, reasons: [] }
  const fail = (reason: string) => (v.reasons.push(reason), v)
  const kind = eventKind(e)
  // A run asked for (issue #14) starts its one rule on its branch, whatever the rule's events, branch and paths say.
  const run = e.kind === 'push' ? e.run : undefined
  if (run) {
    if (run.rule !== v.rule) return fail(`run: ${run.by} run of rule ${run.rule} by ${run.actor}`)
    v.reasons.push(`run: ${run.by} run by ${run.actor}`)
  } else {
    const dead = inert(e)
    if (dead) return fail(`event: ${dead}`)
    if (!rule.events.includes(kind)) return fail(`event: ${kind} is not one of ${rule.events.join(', ')}`)
    v.reasons.push(`event: ${kind}`)
  }
  if (rule.tenant !== undefined) {
    if (rule.tenant !== e.tenant) return fail(`tenant: ${e.tenant} is not ${rule.tenant}`)
    v.reasons.push(`tenant: ${e.tenant}`)
  }
  if (rule.repository !== undefined) {
    if (!repositoryMatches(rule.repository, e.repository.fullName))
      return fail(`repository: ${e.repository.fullName} does not match ${rule.repository}`)
    v.reasons.push(`repository: ${e.repository.fullName} matches ${rule.repository}`)
  }
  if (rule.branch !== undefined && !run) {
    const b = branchOf(e)
    if (b === null) return fail(`branch: ${kind} has no branch, rule wants /${rule.branch}/`)
    if (!fullMatch(rule.branch).test(b)) return fail(`branch: ${b} does not match /${rule.branch}/`)
    v.reasons.push(`branch: ${b} matches /${rule.branch}/`)
  }
  if (rule.tag !== undefined && !run) {
    const t = e.kind === 'push' ? e.tag : null
    if (t === null) return fail(`tag: ${kind} has no tag, rule wants /${rule.tag}/`)
    if (!fullMatch(rule.tag).test(t)) return fail(`tag: ${t} does not match /${rule.tag}/`)
    v.reasons.push(`tag: ${t} matches /${rule.tag}/`)
  }
  if (rule.paths !== undefined && !run) {
    const p = await pathVerdict(rule.paths, e, source)
    if (!p.ok) return fail(p.reason)
    v.reasons.push(p.reason)
    if (p.unevaluated) v.pathsUnevaluated = true
  }
  try {
    v.job = renderJobName(rule.job, jobNameValues(e))
  } catch (err) {
    return fail(`job: ${rule.job}: ${(err as Error).message}`)
  }
  // A build started by hand is recorded on the job it ran on.
  if (run?.started) v.job = run.started.job
  v.template = rule.template ?? null
  v.matched = true
  v.reasons.push(`job: ${v.job}${rule.template ? ` from template ${rule.template}` : ' (existing job)'}`)
  return v
}

/** Every rule against every event of a delivery. */
export async function evaluateRules(
  rules: readonly RuleConfig[],
  events: readonly TamerEvent[],
  source: ChangedFilesSource,
): Promise<RuleVerdict[]> {
  const out: RuleVerdict[] = []
  for (const [ei, e] of events.entries())
    for (const [ri, r] of rules.entries()) out.push(await evaluateRule(r, ri, e, ei, source))
  return out
}
