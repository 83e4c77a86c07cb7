// Checks the notification settings the schema cannot: channel names that exist, addresses
// that are addresses, branch regexes that compile, an SMTP url that parses. Run with the other
// domains' checks by src/compose/config.ts.
import { ConfigError } from '../errors.js'
import type { Config } from '../config/schema.js'
import { normalizeAddress } from './addresses.js'

export function checkNotificationsConfig(config: Config): void {
  const n = config.notifications
  const names = new Set(['email'])
  for (const [i, ch] of n.channels.entries()) {
    if (names.has(ch.name))
      throw new ConfigError(
        `notifications.channels.${i}.name`,
        `${ch.name} is taken (email is the SMTP channel; names are unique)`,
      )
    names.add(ch.name)
    let url: URL
    try {
      url = new URL(ch.url)
    } catch {
      // The value is a credential: the message does not repeat it.
      throw new ConfigError(`notifications.channels.${i}.url`, 'must be an http(s) URL')
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new ConfigError(`notifications.channels.${i}.url`, 'must be an http(s) URL')
  }
  if (n.smtp.url) {
    let ok: boolean
    try {
      ok = ['smtp:', 'smtps:'].includes(new URL(n.smtp.url).protocol)
    } catch {
      ok = false
    }
    if (!ok) throw new ConfigError('notifications.smtp.url', 'must be smtp://… or smtps://…')
  }
  for (const [i, r] of n.rules.entries()) {
    for (const [j, c] of r.channels.entries())
      if (!names.has(c) || c === 'email')
        throw new ConfigError(
          `notifications.rules.${i}.channels.${j}`,
          `no chat channel named ${c} in notifications.channels`,
        )
    for (const [j, a] of r.to.entries())
      if (!normalizeAddress(a))
        throw new ConfigError(`notifications.rules.${i}.to.${j}`, `${JSON.stringify(a)} is not a mail address`)
    if (r.branch) {
      try {
        new RegExp(r.branch)
      } catch {
        throw new ConfigError(`notifications.rules.${i}.branch`, 'is not a valid regular expression')
      }
    }
  }
}
