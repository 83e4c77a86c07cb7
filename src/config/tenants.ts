// Which tenant a repository belongs to: the first tenant with a matching glob.
import picomatch from 'picomatch'
import type { Config } from './schema.js'

export function createTenantResolver(
  config: Pick<Config, 'tenants' | 'defaultTenant'>,
): (repository: string | null) => string {
  const matchers = config.tenants.map((t) => ({
    name: t.name,
    isMatch: picomatch(t.repositories, { nocase: true, dot: true }),
  }))
  return (repository) =>
    (repository === null ? undefined : matchers.find((m) => m.isMatch(repository))?.name) ?? config.defaultTenant
}
