// Every error the outside world can see, declared once with a code and a status.
import createError from '@fastify/error'

export const BadSignatureError = createError('TAMER_BAD_SIGNATURE', 'Delivery not authenticated: %s', 401)
export const ProviderNotConfiguredError = createError(
  'TAMER_PROVIDER_NOT_CONFIGURED',
  'No secret is configured for %s deliveries, so every delivery is refused',
  401,
)
export const MissingHeaderError = createError('TAMER_MISSING_HEADER', 'Missing required header %s', 400)
export const MalformedBodyError = createError('TAMER_MALFORMED_BODY', 'Body is not valid JSON: %s', 400)
export const BadPayloadError = createError('TAMER_BAD_PAYLOAD', 'Payload does not have the expected shape: %s', 400)
export const UnsupportedMediaTypeError = createError(
  'TAMER_UNSUPPORTED_MEDIA_TYPE',
  'Unsupported content type %s; send application/json',
  415,
)
export const PayloadTooLargeError = createError('TAMER_PAYLOAD_TOO_LARGE', 'Body is larger than %s bytes', 413)
export const UnauthorizedError = createError('TAMER_UNAUTHORIZED', 'Missing or invalid bearer token', 401)
export const NotFoundError = createError('TAMER_NOT_FOUND', '%s not found', 404)
export const StoreUnavailableError = createError('TAMER_STORE_UNAVAILABLE', 'Store is not writable: %s', 503)

/** Raised while loading config; the CLI turns it into exit code 2. */
export class ConfigError extends Error {
  readonly key: string
  constructor(key: string, problem: string) {
    super(`invalid config: ${key}: ${problem}`)
    this.name = 'ConfigError'
    this.key = key
  }
}
