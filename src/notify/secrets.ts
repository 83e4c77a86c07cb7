// Every secret Tamer knows of, so none of them can reach a notice through a console log.
import type { Config } from '../config/schema.js'

export function configuredSecrets(c: Config): string[] {
  const out: string[] = [...c.notifications.maskValues]
  const p = c.providers
  out.push(...p.github.secrets, ...p.bitbucket.secrets, ...p.gitlab.tokens, ...p.gitlab.signingTokens)
  for (const r of [...p.github.repositories, ...p.bitbucket.repositories]) out.push(...r.secrets)
  for (const r of p.gitlab.repositories) out.push(...r.tokens, ...r.signingTokens)
  for (const t of c.api.tokens) out.push(typeof t === 'string' ? t : t.token)
  out.push(c.jenkins.token, c.jenkins.callbackSecret, c.notifications.smtp.password)
  if (c.notifications.smtp.url) {
    try {
      const pw = decodeURIComponent(new URL(c.notifications.smtp.url).password)
      if (pw) out.push(pw)
    } catch {
      // an unparsable url fails at send time; nothing to mask
    }
  }
  for (const ch of c.notifications.channels) out.push(ch.url, ch.secret)
  return out.filter((s) => s.length >= 4)
}
