// The config Tamer runs with: loaded and checked against the schema by src/config/, then checked by
// every domain that knows what a value must name or look like (git URLs and tenants, rules' job
// names and templates, Jenkins settings, notification channels and addresses). config/ imports
// none of them; this is the one place that runs them all, for `tamer serve`, every command and the
// tests. The errors are ConfigErrors naming the key, as the schema's are.
import { loadConfig, validateConfig, type LoadConfigOptions } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { checkGitConfig } from '../git/check-config.js'
import { checkNotificationsConfig } from '../notify/check-config.js'
import { checkRulesConfig } from '../pipeline/check-config.js'
import { checkReportingConfig } from '../reporting/check-config.js'
import { checkOidcConfig } from '../console/oidc-config.js'

/** Runs every domain's check of a config that passed the schema; the first problem throws. */
export function checkConfig(config: Config): Config {
  checkGitConfig(config)
  checkRulesConfig(config)
  checkNotificationsConfig(config)
  checkReportingConfig(config)
  checkOidcConfig(config)
  return config
}

/** The file, the environment and the defaults, fully checked (see loadConfig). */
export function loadCheckedConfig(options: LoadConfigOptions = {}): Config {
  return checkConfig(loadConfig(options))
}

/** A config value (tests, overrides), fully checked (see validateConfig). */
export function validateCheckedConfig(raw: unknown): Config {
  return checkConfig(validateConfig(raw))
}
