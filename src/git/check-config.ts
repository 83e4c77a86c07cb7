// Load-time checks of the git settings that a schema cannot express: credential prefixes and host
// bases that are usable URLs, tenants that exist, allowPrivateHosts entries that parse. Every
// problem names its key, like the schema errors do; run with the other domains' checks by
// src/compose/config.ts.
import { credentialPrefixProblem } from '../config/credential-url.js'
import type { Config } from '../config/schema.js'
import { ConfigError } from '../errors.js'
import { allowPrivateHostProblem } from './address.js'
import { hostBaseProblem } from './remote.js'

export function checkGitConfig(config: Config): void {
  const tenants = new Set([config.defaultTenant, ...config.tenants.map((t) => t.name)])
  const checkTenants = (key: string, names: readonly string[] | undefined) => {
    const unknown = names?.find((n) => n !== '*' && !tenants.has(n))
    if (unknown !== undefined) throw new ConfigError(key, `no tenant is named ${JSON.stringify(unknown)}`)
  }
  for (const [i, c] of config.git.credentials.entries()) {
    const problem = credentialPrefixProblem(c.url)
    if (problem) throw new ConfigError(`git.credentials.${i}.url`, problem)
    checkTenants(`git.credentials.${i}.tenants`, c.tenants)
    // With several tenants a token must say whose repositories it may read: one left open would
    // serve any tenant's push that names a repository under its prefix.
    if (!c.tenants && config.tenants.length > 0)
      throw new ConfigError(
        `git.credentials.${i}.tenants`,
        'required when tenants are configured: name the tenants whose repositories this token may read ("*" for all)',
      )
  }
  for (const [i, h] of config.git.hosts.entries()) {
    const problem = hostBaseProblem(h.url)
    if (problem) throw new ConfigError(`git.hosts.${i}.url`, problem)
    const scheme = new URL(h.url).protocol.slice(0, -1)
    if (!(config.git.protocols as string[]).includes(scheme))
      throw new ConfigError(
        `git.hosts.${i}.url`,
        `${scheme} is not in git.protocols (${config.git.protocols.join(', ')})`,
      )
    checkTenants(`git.hosts.${i}.tenants`, h.tenants)
  }
  for (const [i, e] of config.git.allowPrivateHosts.entries()) {
    const problem = allowPrivateHostProblem(e)
    if (problem) throw new ConfigError(`git.allowPrivateHosts.${i}`, problem)
  }
}
