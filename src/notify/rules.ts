// Which notification rules apply to a build, and whether an outcome passes a rule
// (including the still-failing throttle).
import picomatch from 'picomatch'
import type { NotifyRuleConfig } from '../config/notifications-schema.js'
import type { BuildRecord } from '../store/builds.js'
import type { NoticeDecision, NoticeOutcome } from '../store/notifications.js'
import { branchOf } from './outcome.js'

export function matchingRules(rules: readonly NotifyRuleConfig[], b: BuildRecord): NotifyRuleConfig[] {
  return rules.filter((r) => {
    if (r.tenant && r.tenant !== b.tenant) return false
    if (r.repository && !(b.repository && picomatch.isMatch(b.repository, r.repository))) return false
    if (r.branch) {
      const branch = branchOf(b)
      if (branch === null || !new RegExp(`^(?:${r.branch})$`).test(branch)) return false
    }
    return true
  })
}

export interface ThrottleState {
  /** the thread's last notice, if any */
  last: NoticeDecision | null
  /** builds decided after it, this one included */
  buildsSince: number
  now: number
}

/** Still failing speaks at most once per everyHours or per everyBuilds, whichever comes first. */
export function rulePasses(rule: NotifyRuleConfig, outcome: NoticeOutcome, t: ThrottleState): boolean {
  if (!rule.on.includes(outcome)) return false
  if (outcome !== 'still-failing' || !t.last) return true
  const hours = (t.now - t.last.decidedAt) / 3_600_000
  return hours >= rule.stillFailing.everyHours || t.buildsSince >= rule.stillFailing.everyBuilds
}
