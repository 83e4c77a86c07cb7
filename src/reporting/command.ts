// `tamer status test --repo <host>:<owner/repo> --sha <sha>`: posts one test status straight
// through the configured client of that host (not through the outbox) and prints the host's answer.
import type { Config } from '../config/schema.js'
import type { ProviderName } from '../events/model.js'
import { HostRequestFailure } from '../providers/outbound.js'
import { maskSecrets, secretValues } from '../security/secrets.js'
import { hostRegistryFromConfig, type HostRegistry } from './hosts.js'

const PROVIDERS: readonly ProviderName[] = ['github', 'gitlab', 'bitbucket-cloud', 'bitbucket-server']

export async function statusTest(
  config: Config,
  o: { repo: string; sha: string; tenant?: string; hosts?: HostRegistry },
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const m = /^([a-z-]+):(.+\/.+)$/.exec(o.repo)
  const provider = m?.[1] as ProviderName | undefined
  if (!m || !provider || !PROVIDERS.includes(provider)) {
    err(`tamer: --repo must be <host>:<owner/repo> with host one of ${PROVIDERS.join(', ')}\n`)
    return 2
  }
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(o.sha)) {
    err('tamer: --sha must be a full commit id\n')
    return 2
  }
  const repository = m[2]!
  const target = (o.hosts ?? hostRegistryFromConfig(config)).clientFor(
    provider,
    o.tenant ?? config.defaultTenant,
    repository,
  )
  if (!target) {
    err(`tamer: no reporting.hosts entry covers ${provider} repositories (see *Statuses and PR comments*)\n`)
    return 2
  }
  try {
    const answer = await target.client.setStatus({
      repository,
      sha: o.sha,
      context: 'tamer/test',
      state: 'success',
      description: 'A test status from tamer status test',
      targetUrl: config.jenkins.publicUrl || null,
      ref: null,
    })
    out(
      `posted tamer/test on ${provider}:${repository}@${o.sha.slice(0, 12)} with ${target.credential}: ${JSON.stringify(answer)}\n`,
    )
    return 0
  } catch (e) {
    const f = e instanceof HostRequestFailure ? e : null
    const message = maskSecrets((e as Error).message, secretValues(config))
    err(
      `tamer: ${provider} did not take the status (${target.credential}): ${message}${f?.retryable ? ' (worth retrying)' : ''}\n`,
    )
    return 1
  }
}
