// What is secret, by name and by shape, defined once. Everything that hides secrets derives from
// this file: the logger's redact paths and URL redaction (src/logging.ts), the headers stored with
// a delivery (src/intake/headers.ts) and the mask of notices, logs and API answers (./secrets.ts).
// Imports nothing, so every layer may import it.

/** Words in a header or key name that make its value secret. */
export const SECRET_NAME = /signature|token|authorization|secret|password|cookie|api-key|credential|private[-_]?key/i

/**
 * The authenticating headers Tamer receives or sends, by exact name, for log redaction (pino
 * paths cannot be patterns). Each also matches SECRET_NAME, so none is ever stored.
 */
export const SECRET_HEADER_NAMES = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-hub-signature',
  'x-hub-signature-256',
  'x-gitlab-token',
  'webhook-signature',
  'x-tamer-signature',
] as const

/** Whether a header authenticates a request: never stored with a delivery, redacted in logs. */
export function isSecretHeader(name: string): boolean {
  return (SECRET_HEADER_NAMES as readonly string[]).includes(name.toLowerCase()) || SECRET_NAME.test(name)
}

/** Object keys whose values are secret wherever a log line carries them. */
export const SECRET_KEYS = [
  'secret',
  'secrets',
  'token',
  'tokens',
  'signingTokens',
  'password',
  'callbackSecret',
  'credentials',
  'privateKey',
] as const

/** Query parameters whose values open something (a signed link's `sig`, tokens): never logged. */
export const SECRET_QUERY_PARAM = /^(sig|signature|token|access_token|api_key|apikey|key|secret|password|code)$/i

/** Tamer's own API tokens (`tamer tokens create`) start with this, so they are masked by shape too. */
export const TAMER_TOKEN_PREFIX = 'tmr_'

/**
 * Token shapes masked wherever they appear, configured or not. A pattern with a first group keeps
 * that group (the `Authorization: Bearer ` before a token) and masks the rest.
 */
export const TOKEN_PATTERNS: readonly RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, // GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_)
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, // GitHub fine-grained tokens
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g, // GitLab personal access tokens
  /\bgl(?:ptt|dt|rt|oas|cbt|ft|imt|agent|soat|ffct)-[A-Za-z0-9_-]{20,}\b/g, // other GitLab token prefixes
  /\bxox[abposre]-[A-Za-z0-9-]{10,}\b/g, // Slack tokens
  /\bxapp-[A-Za-z0-9-]{10,}\b/g, // Slack app-level tokens
  /(\bhooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9/_-]{10,}/g, // Slack incoming-webhook paths
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bwhsec_[A-Za-z0-9+/=]{16,}/g, // Standard Webhooks signing secrets
  /\btmr_[A-Za-z0-9_-]{20,}/g, // Tamer API tokens (TAMER_TOKEN_PREFIX)
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g, // JWTs
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>\\]+(?=@)/gi, // userinfo in URLs of any scheme (a token alone is userinfo too)
  /(\b(?:Proxy-)?Authorization:\s*(?:Bearer|Basic|token|Digest)\s+)\S+/gi,
  /(\b(?:password|passwd|secret|token|api[_-]?key)\s*[=:]\s*)[^\s'"&\\]{4,}/gi,
]

/**
 * Something every token shape above contains (case-insensitive, so a superset): text without any
 * of these, and without a configured value, is returned as is without running the patterns.
 */
export const SHAPE_HINT =
  /gh[pousr]_|github_pat_|gl[a-z]{1,6}-|xox[a-z]-|xapp-|hooks\.slack\.com|AKIA|whsec_|tmr_|eyJ|PRIVATE KEY|:\/\/|authorization|passw|secret|token|api[_-]?key/i
