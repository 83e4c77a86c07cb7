// Both environments' package versions (issue #15 item 3): the development environment's, from a file
// the repository commits (`pip freeze` output or a pinned requirements lock, or `conda list`), and the
// image's `pip freeze` as the parity stage ran it. Names are compared normalized as PyPI does (PEP 503:
// https://peps.python.org/pep-0503/#normalized-names), so `Scikit_Learn` and `scikit-learn` are one.
import { redactUrlCredentials } from '../security/url-credentials.js'

export interface PackageChange {
  name: string
  /** null: not installed there */
  dev: string | null
  image: string | null
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-')

/** name → version (or `@ url` for a direct reference) of a `pip freeze`, requirements lock or `conda list`. */
export function readPackages(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').trim()
    if (!line || line.startsWith('#') || line.startsWith('-')) continue
    // name==version (pip), name===version, name @ url (PEP 508 direct reference); environment markers dropped
    let m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;\\]+)/.exec(line)
    if (m) {
      out.set(normalize(m[1]!), m[2]!)
      continue
    }
    m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*@\s*(\S+)/.exec(line)
    if (m) {
      // a URL installed from can carry a token (`pip freeze` prints it): never shown or stored
      out.set(normalize(m[1]!), `@ ${redactUrlCredentials(m[2]!)}`)
      continue
    }
    // conda list: `name  version  build  channel`
    m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s+(\d[^\s]*)(\s|$)/.exec(line)
    if (m) out.set(normalize(m[1]!), m[2]!)
  }
  return out
}

/** What differs, by name: other versions first, then what only one side has. */
export function diffPackages(dev: Map<string, string>, image: Map<string, string>): PackageChange[] {
  const names = [...new Set([...dev.keys(), ...image.keys()])].sort()
  const changes = names
    .filter((n) => dev.get(n) !== image.get(n))
    .map((name) => ({ name, dev: dev.get(name) ?? null, image: image.get(name) ?? null }))
  const rank = (c: PackageChange) => (c.dev !== null && c.image !== null ? 0 : 1)
  return changes.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : 1))
}
