// Revisions and clone URLs as events keep them: commit ids that are ids (git and Jenkins get
// nothing else), URLs without credentials (src/security/url-credentials.ts).
import { BadPayloadError } from '../errors.js'
import { COMMIT_ID } from '../events/model.js'

/** A push's before/after: a full commit id (40 or 64 hex digits), lower case. */
export function commitId(value: string, field: string): string {
  if (!COMMIT_ID.test(value)) throw new BadPayloadError(`${field} is not a full commit id (40 or 64 hex digits)`)
  return value.toLowerCase()
}

/** A pull request's head or base: hex when present (Bitbucket Cloud abbreviates it to 12 digits). */
export function commitHash(value: string | null, field: string): string | null {
  if (value === null) return null
  if (!/^[0-9a-f]{7,64}$/i.test(value)) throw new BadPayloadError(`${field} is not a commit id (hex digits)`)
  return value.toLowerCase()
}

export { urlField } from '../security/url-credentials.js'
