// Load-time checks of routing rules and Jenkins settings that a schema cannot express (job name
// patterns, templates that exist). Every problem names its key, like the schema errors do; run
// with the other domains' checks by src/compose/config.ts.
import { ConfigError } from '../errors.js'
import { checkJobNamePattern } from '../jenkins/job-name.js'
import { defaultTemplatesDir, listTemplates, templateParameters } from '../jenkins/templates.js'
import { checkRuleParameters } from './contract.js'
import { schedulesOf } from './schedules.js'
import type { Config } from '../config/schema.js'

function checkRegex(key: string, source: string): void {
  try {
    new RegExp(source)
  } catch (err) {
    throw new ConfigError(key, `not a valid regular expression: ${(err as Error).message}`)
  }
}

/** `templatesDir`: where the job templates are (the project's jenkinsfiles/ unless a test says otherwise). */
export function checkRulesConfig(config: Config, templatesDir?: string): void {
  let templates: string[] | undefined
  for (const [i, rule] of config.rules.entries()) {
    const key = `rules.${i}`
    const problem = checkJobNamePattern(rule.job)
    if (problem) throw new ConfigError(`${key}.job`, `renders an invalid Jenkins job name: ${problem}`)
    if (rule.repository?.startsWith('/') && rule.repository.endsWith('/') && rule.repository.length > 1)
      checkRegex(`${key}.repository`, rule.repository.slice(1, -1))
    if (rule.branch !== undefined) checkRegex(`${key}.branch`, rule.branch)
    if (rule.tag !== undefined) checkRegex(`${key}.tag`, rule.tag)
    if (rule.template !== undefined) {
      templates ??= listTemplates(templatesDir ?? defaultTemplatesDir())
      if (!templates.includes(rule.template))
        throw new ConfigError(
          `${key}.template`,
          `no template ${rule.template} in jenkinsfiles/ (have: ${templates.join(', ')})`,
        )
      // A template file Tamer has no parameter list for would only fail at the first trigger.
      try {
        templateParameters(rule.template)
      } catch (err) {
        throw new ConfigError(`${key}.template`, (err as Error).message)
      }
    }
  }
  checkRuleParameters(config.rules)
  // Cron expressions and time zones (issue #14): a bad one stops the load, naming the rule.
  schedulesOf(config)
  const j = config.jenkins
  if (j.url) {
    let u: URL
    try {
      u = new URL(j.url)
    } catch {
      throw new ConfigError('jenkins.url', 'not a URL')
    }
    if (u.username || u.password)
      throw new ConfigError(
        'jenkins.url',
        'put credentials in jenkins.user and jenkins.token (TAMER_JENKINS_USER, TAMER_JENKINS_TOKEN), not in the URL',
      )
    if (!/^https?:$/.test(u.protocol)) throw new ConfigError('jenkins.url', 'must be http or https')
    if (Boolean(j.user) !== Boolean(j.token))
      throw new ConfigError(j.user ? 'jenkins.token' : 'jenkins.user', 'user and token go together')
  }
  if (j.publicUrl) {
    try {
      new URL(j.publicUrl)
    } catch {
      throw new ConfigError('jenkins.publicUrl', 'not a URL')
    }
  }
}
