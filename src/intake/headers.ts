// Headers kept with a delivery, minus anything that authenticates it (what is secret is defined
// in src/security/secret-fields.ts): authenticating headers are dropped, token shapes in the others masked.
import type { IncomingHttpHeaders } from 'node:http'
import { isSecretHeader } from '../security/secret-fields.js'
import { createMask } from '../security/secrets.js'

/** Token shapes only, prepared once: maskSecrets built the same mask again for every header of every delivery. */
const tokenShapes = createMask([])

export function storableHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || isSecretHeader(name)) continue
    out[name] = tokenShapes(Array.isArray(value) ? value.join(', ') : value)
  }
  return out
}

/** The git host's delivery id (its GUID, not Tamer's id), for log lines, read before anything is verified. */
export function hostDeliveryIdFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  const v =
    headers['x-github-delivery'] ??
    headers['idempotency-key'] ??
    headers['x-gitlab-webhook-uuid'] ??
    headers['x-request-uuid'] ??
    headers['x-request-id']
  const s = Array.isArray(v) ? v[0] : v
  return s ? s.slice(0, 100) : undefined
}
