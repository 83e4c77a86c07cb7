// Where the mirrors may connect. A remote's host is resolved before git runs, and every address it
// resolves to must be public: loopback, private (RFC 1918, ULA), link-local (with the cloud metadata
// services 169.254.169.254 and fd00:ec2::254), CGNAT, unspecified, multicast and the other
// special-purpose blocks of RFC 6890 (IANA's IPv4/IPv6 Special-Purpose Address Registries) are
// refused unless the operator lists the host in `git.allowPrivateHosts`. For http(s) git is then
// given those very addresses (`http.curloptResolve`, git >= 2.37), so a second lookup that answers
// differently (DNS rebinding) cannot move the connection.
import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { CloneUrlRefusedError, GitFailedError } from '../errors.js'

const SPECIAL_PURPOSE = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 (unspecified)
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // CGNAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  SPECIAL_PURPOSE.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (fd00:ec2::254 is AWS's metadata service)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  SPECIAL_PURPOSE.addSubnet(net, prefix, 'ipv6')

/** True for an address no remote of a webhook should make Tamer connect to. IPv4-mapped IPv6 is checked as IPv4. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return true
  return SPECIAL_PURPOSE.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

export type Resolver = (hostname: string) => Promise<readonly { address: string }[]>
const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true })

const DEFAULT_PORT: Record<string, string> = { 'https:': '443', 'http:': '80', 'ssh:': '22', 'git:': '9418' }

const bare = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1')

/** `host` or `host:port` (IPv6 in brackets) as the URL parser spells it; undefined when it is neither. */
function allowEntry(entry: string): { hostname: string; port: string | null } | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:/?#@[\]\s]+)(?::(\d{1,5}))?$/.exec(entry)
  if (!m) return undefined
  try {
    return { hostname: new URL(`http://${m[1]}`).hostname, port: m[2] ?? null }
  } catch {
    return undefined
  }
}

/** Why an `allowPrivateHosts` entry is unusable, or undefined. */
export function allowPrivateHostProblem(entry: string): string | undefined {
  return allowEntry(entry) ? undefined : 'must be a host name or address, optionally with :port (IPv6 in brackets)'
}

/**
 * Checks where `url` would connect. Answers the `http.curloptResolve` value that pins git to the
 * checked addresses, or null when there is nothing to pin (an address literal, ssh/git, file).
 * Throws CloneUrlRefusedError for a non-public address of a host not in `allowPrivateHosts`,
 * GitFailedError when the name does not resolve.
 */
export async function checkRemoteAddress(
  url: URL,
  allowPrivateHosts: readonly string[],
  resolve: Resolver = systemResolver,
): Promise<string | null> {
  if (url.protocol === 'file:') return null
  const hostname = url.hostname.toLowerCase()
  const port = url.port || DEFAULT_PORT[url.protocol] || ''
  if (!hostname) throw new CloneUrlRefusedError(`${url.protocol}// URL has no host`)
  const allowed = allowPrivateHosts.some((e) => {
    const a = allowEntry(e)
    return a !== undefined && a.hostname === hostname && (a.port === null || a.port === port)
  })
  const refuse = (address: string) =>
    new CloneUrlRefusedError(
      `${hostname}${address === bare(hostname) ? '' : ` resolves to ${address}, which`} is not a public address (loopback, private, link-local, metadata or reserved); list "${hostname}:${port}" in git.allowPrivateHosts if this host is meant`,
    )
  if (isIP(bare(hostname))) {
    if (!allowed && isNonPublicAddress(bare(hostname))) throw refuse(bare(hostname))
    return null
  }
  let addresses: readonly { address: string }[]
  try {
    addresses = await resolve(hostname)
  } catch (err) {
    throw new GitFailedError(
      `cannot resolve ${hostname}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    )
  }
  if (addresses.length === 0) throw new GitFailedError(`cannot resolve ${hostname}: no addresses`)
  const bad = allowed ? undefined : addresses.find((a) => isNonPublicAddress(a.address))
  if (bad) throw refuse(bad.address)
  return url.protocol === 'https:' || url.protocol === 'http:'
    ? `${hostname}:${port}:${addresses.map((a) => a.address).join(',')}`
    : null
}
