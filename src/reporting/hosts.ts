// Which reporting.hosts entry posts for a repository (issue #13): the first of its provider whose
// tenants and repositories cover it. Each entry's client is made once, by its provider's factory.
// Chosen only by the signed repository and its tenant: nothing a payload says picks a credential.
import type { Logger } from 'pino'
import picomatch from 'picomatch'
import type { Config, ReportingHostConfig } from '../config/schema.js'
import type { ProviderName } from '../events/model.js'
import { bitbucketCloudClientFor } from '../providers/bitbucket-cloud/outbound.js'
import { bitbucketServerClientFor } from '../providers/bitbucket-server/outbound.js'
import { githubClientFor } from '../providers/github/outbound.js'
import { gitlabClientFor } from '../providers/gitlab/outbound.js'
import type { HostClient } from '../providers/outbound.js'

export interface HostTarget {
  client: HostClient
  /** `reporting.hosts.<index>`: how messages name the credential (never its value). */
  credential: string
}

export interface HostRegistry {
  /** null: no entry covers the repository (nothing is posted for it). */
  /** `repository`: the build's (signed) `owner/name`; null only for `tamer status test` without one. */
  clientFor(provider: ProviderName, tenant: string, repository: string | null): HostTarget | null
}

type Factory = (entry: ReportingHostConfig, s: { index: number; timeoutMs: number; publicUrl?: string }) => HostClient

const FACTORIES: Record<ProviderName, Factory> = {
  github: githubClientFor,
  gitlab: gitlabClientFor,
  'bitbucket-cloud': bitbucketCloudClientFor,
  'bitbucket-server': bitbucketServerClientFor,
}

export function hostRegistryFromConfig(
  config: Config,
  o: { logger?: Logger; clients?: Partial<Record<number, HostClient>> } = {},
): HostRegistry {
  const made = new Map<number, HostClient>()
  const entries = config.reporting.hosts
  const covers = entries.map((h) => (h.repositories ? picomatch(h.repositories, { nocase: true, dot: true }) : null))
  return {
    clientFor(provider, tenant, repository) {
      const index = entries.findIndex(
        (h, i) =>
          h.provider === provider &&
          (!h.tenants || h.tenants.includes('*') || h.tenants.includes(tenant)) &&
          (covers[i] === null || (repository !== null && covers[i]!(repository))),
      )
      if (index < 0) return null
      let client = o.clients?.[index] ?? made.get(index)
      if (!client) {
        client = FACTORIES[provider](entries[index]!, {
          index,
          timeoutMs: config.reporting.timeoutMs,
          publicUrl: config.jenkins.publicUrl || undefined,
        })
        made.set(index, client)
      }
      return client.configured ? { client, credential: `reporting.hosts.${index}` } : null
    },
  }
}
