// What a credential's URL prefix (`git.credentials[].url`, TAMER_GIT_CREDENTIALS, `tamer secrets
// set --url`) may be: an http(s) URL with no userinfo, query or fragment. A rule of the config value,
// so the loader can name the environment entry that breaks it; the git checks and the secrets
// command apply the same rule.

const HTTP_URL = /^https?:\/\//i

/** Why `url` cannot be a credential prefix, or undefined when it can. Never quotes the value. */
export function credentialPrefixProblem(url: string): string | undefined {
  if (!HTTP_URL.test(url)) return 'must start with https:// or http://'
  try {
    new URL(url)
  } catch {
    return 'is not a valid URL'
  }
  if (/^https?:\/\/[^/?#]*@/i.test(url)) return 'must not contain a user or token; use username and password'
  if (/[?#]/.test(url)) return 'must not contain a query or fragment'
  return undefined
}
