// The contract between Tamer and the jobs it triggers: the parameters Tamer fills for every
// build (jenkins/templates.ts declares them on the jobs). Kept apart from plan.ts so config
// checks can import it without the planner.
import type { RuleConfig } from '../config/schema.js'
import { ConfigError } from '../errors.js'

/**
 * The contract's parameters: the facts of the build's subject, and what makes the build findable
 * (DELIVERY_ID) and its report verifiable (CALLBACK_URL). Tamer fills them; a rule may add
 * parameters (THRESHOLDS, the templates' optional ones, its own) but never set one of these.
 */
export const CONTRACT_PARAMETERS = [
  'REPO_URL',
  'BRANCH',
  'COMMIT_SHA',
  'PROVIDER',
  'DIFF_URL',
  'DELIVERY_ID',
  'CALLBACK_URL',
] as const

/**
 * Refuses, at config load, a rule parameter that would replace one of the contract's (compared
 * without case: Jenkins on Windows agents reads parameters as case-insensitive environment variables).
 */
export function checkRuleParameters(rules: readonly RuleConfig[]): void {
  const contract = new Set<string>(CONTRACT_PARAMETERS)
  for (const [i, rule] of rules.entries())
    for (const name of Object.keys(rule.parameters ?? {}))
      if (contract.has(name.toUpperCase()))
        throw new ConfigError(
          `rules.${i}.parameters.${name}`,
          `${name} is set by Tamer for every build (${CONTRACT_PARAMETERS.join(', ')}); a rule may add parameters, not replace these`,
        )
}
