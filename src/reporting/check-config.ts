// Checks the reporting settings the schema cannot (issue #13): each host entry has one kind of
// credential its host takes, and an API URL that parses. Run with the other domains' checks by
// src/compose/config.ts. Messages name the key, never the value (a token).
import type { Config } from '../config/schema.js'
import { ConfigError } from '../errors.js'

export function checkReportingConfig(config: Config): void {
  for (const [i, h] of config.reporting.hosts.entries()) {
    const key = `reporting.hosts.${i}`
    if (h.app && h.provider !== 'github') throw new ConfigError(`${key}.app`, 'only GitHub has apps; give a token')
    if (h.app && h.token) throw new ConfigError(key, 'give a token or an app, not both')
    if (!h.app && !h.token) throw new ConfigError(key, 'needs a token (or, on GitHub, an app)')
    if (h.provider === 'bitbucket-server' && !h.apiUrl)
      throw new ConfigError(`${key}.apiUrl`, "is required for bitbucket-server (the server's base URL)")
    for (const [field, value] of [['apiUrl', h.apiUrl]] as const) {
      if (value === undefined) continue
      let ok: boolean
      try {
        const u = new URL(value)
        ok = (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password
      } catch {
        ok = false
      }
      if (!ok) throw new ConfigError(`${key}.${field}`, 'must be an http(s) URL without credentials')
    }
  }
}
