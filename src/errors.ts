// Every error the outside world can see, declared once with a code and a status, and listed in
// the README's *Errors* table (test/errors/catalogue.test.ts holds the two together, as fastify's
// test/internals/errors.test.js does for fastify/fastify docs/Reference/Errors.md).
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
export const RepositoryMismatchError = createError(
  'TAMER_REPOSITORY_MISMATCH',
  'Payload names more than one repository: %s',
  400,
)
export const BadRequestError = createError('TAMER_BAD_REQUEST', 'Bad request: %s', 400)
export const UriTooLongError = createError('TAMER_URI_TOO_LONG', 'A path segment is longer than %s characters', 414)
export const UnsupportedMediaTypeError = createError(
  'TAMER_UNSUPPORTED_MEDIA_TYPE',
  'Unsupported content type %s; send application/json',
  415,
)
export const PayloadTooLargeError = createError('TAMER_PAYLOAD_TOO_LARGE', 'Body is larger than %s bytes', 413)
export const UnauthorizedError = createError('TAMER_UNAUTHORIZED', 'Missing or invalid bearer token', 401)
export const NotFoundError = createError('TAMER_NOT_FOUND', '%s not found', 404)
/** A console form without its session's CSRF token, or posted from another site (issue #14). */
export const CsrfError = createError('TAMER_CSRF', 'Form not accepted: %s; reload the page and try again', 403)
/** Console sign-in with OIDC (issue #14): the provider's answer did not complete a sign-in this Tamer started. */
export const OidcSignInError = createError('TAMER_OIDC_SIGN_IN', 'Single sign-on did not complete: %s', 403)
/** Console sign-in with OIDC: the ID token's claims match none of `console.oidc.grants`. */
export const OidcNoGrantError = createError(
  'TAMER_OIDC_NO_GRANT',
  '%s is not allowed into this console: no grant of console.oidc.grants matches; ask its operator',
  403,
)
/** Console sign-in with OIDC: the provider's discovery document or token endpoint cannot be reached. */
export const OidcUnavailableError = createError(
  'TAMER_OIDC_UNAVAILABLE',
  'The sign-in provider cannot be reached: %s',
  502,
)
export const StoreUnavailableError = createError('TAMER_STORE_UNAVAILABLE', 'Store is not writable: %s', 503)
/** PostgreSQL (store.engine postgres) cannot be reached at start: names host and port, never the password. */
export const DatabaseUnreachableError = createError(
  'TAMER_DATABASE_UNREACHABLE',
  'Cannot reach PostgreSQL at %s: %s',
  503,
)
/** The database was migrated by a newer Tamer than this one: refused rather than half understood. */
export const SchemaTooNewError = createError('TAMER_SCHEMA_TOO_NEW', 'The store was migrated by a newer Tamer: %s', 500)
/**
 * Anything else that fails while answering (a bug, a library's or the system's error): its details go to the log only.
 */
export const InternalError = createError('TAMER_INTERNAL', 'internal error', 500)

/** Raised while loading config; the CLI turns it into exit code 2. */
export class ConfigError extends Error {
  readonly code = 'TAMER_INVALID_CONFIG'
  readonly statusCode = 500
  readonly key: string
  constructor(key: string, problem: string) {
    super(`invalid config: ${key}: ${problem}`)
    this.name = 'ConfigError'
    this.key = key
  }
}
export const CallbackNotConfiguredError = createError(
  'TAMER_CALLBACK_NOT_CONFIGURED',
  'No Jenkins callback secret is configured (TAMER_JENKINS_CALLBACK_SECRET), so every callback is refused',
  401,
)

// Notebook diffs (issue #3).
export const NbdimeUnavailableError = createError('TAMER_NBDIME_UNAVAILABLE', 'nbdime is not available: %s', 503)
export const NbdimeFailedError = createError('TAMER_NBDIME_FAILED', 'nbdiff failed: %s', 502)
export const GitFailedError = createError('TAMER_GIT_FAILED', 'git failed: %s', 502)
export const NotAPushError = createError('TAMER_NOT_A_PUSH', 'Delivery %s has no push event to diff', 404)
/** A stored diff of another format (written before an upgrade): logged, and the diff is made again. */
export const StoredDiffFormatError = createError(
  'TAMER_STORED_DIFF_FORMAT',
  'Stored push diff has format %s, not %s',
  500,
)

// Notifications (issue #5).
export const NotificationNotDeadError = createError(
  'TAMER_NOTIFICATION_NOT_DEAD',
  'Only dead letters can be re-sent; this notice is %s',
  409,
)

// Hardening (issue #9).
export const RateLimitedError = createError('TAMER_RATE_LIMITED', 'Too many requests %s; retry in %s s', 429)
/** Past server.maxInFlightBytes or a source's share (src/http/in-flight.ts): Retry-After, nothing stored. */
export const BusyError = createError<'TAMER_BUSY', 503, [number, string, number, number]>(
  'TAMER_BUSY',
  'Too many deliveries in flight (%s bytes of %s %s); retry in %s s',
  503,
)

// Secrets at rest, API tokens and the audit log (issue #9).
export const ForbiddenError = createError('TAMER_FORBIDDEN', 'This token has the %s scope; this needs %s', 403)
export const TokenRequestError = createError('TAMER_BAD_TOKEN_REQUEST', 'Invalid token request: %s', 400)
export const MasterKeyMissingError = createError('TAMER_MASTER_KEY_MISSING', 'No master key: %s', 500)
export const MasterKeyInvalidError = createError(
  'TAMER_MASTER_KEY_INVALID',
  '%s must be 32 bytes in base64 or hex (make one with `openssl rand -base64 32`)',
  500,
)
export const SecretUndecryptableError = createError(
  'TAMER_SECRET_UNDECRYPTABLE',
  'Stored secret %s cannot be opened: %s',
  500,
)
export const SecretRequestError = createError('TAMER_BAD_SECRET', 'Invalid stored secret: %s', 400)
export const RotationError = createError('TAMER_ROTATION_FAILED', 'Rotation stopped, nothing was changed: %s', 500)

// Git remotes and revisions (issue #9): what is fetched is the signed repository on a configured host.
export const CloneUrlRefusedError = createError('TAMER_CLONE_URL_REFUSED', 'Clone URL refused: %s', 422)
export const BadRevisionError = createError('TAMER_BAD_REVISION', 'Not a full commit id: %s', 422)

// Jenkins jobs (issue #4): what stops a routed build before Jenkins is called.
export const JobTemplateError = createError('TAMER_JOB_TEMPLATE', 'Cannot make the Jenkins job config: %s', 500)
export const JobNameUnresolvedError = createError('TAMER_JOB_NAME_UNRESOLVED', '{%s} has no value for this event', 422)

// Commit statuses and PR comments on git hosts (issue #13).
export const HostNotConfiguredError = createError(
  'TAMER_HOST_NOT_CONFIGURED',
  'No reporting.hosts entry gives credentials for %s',
  500,
)

// Repository settings and metrics (issue #15).
export const RepoSettingsError = createError('TAMER_REPO_SETTINGS', 'Invalid repository settings: %s', 422)
export const BadMetricsError = createError('TAMER_BAD_METRICS', 'Metrics report refused: %s', 400)
export const BadParityError = createError('TAMER_BAD_PARITY', 'Parity report refused: %s', 400)
export const BadSignoffError = createError('TAMER_BAD_SIGNOFF', 'Sign-off request refused: %s', 422)
// Branches, runs and schedules (issue #14).
export const BranchGoneError = createError(
  'TAMER_BRANCH_GONE',
  'Branch %s of %s no longer exists (deleted at %s); nothing was started',
  409,
)
export const RunRequestError = createError('TAMER_BAD_RUN_REQUEST', 'Invalid run request: %s', 400)
// Operations (issue #16).
export const NotReplayableError = createError('TAMER_NOT_REPLAYABLE', 'Delivery %s cannot be replayed: %s', 409)
export const DrainingError = createError('TAMER_DRAINING', 'Tamer is shutting down: %s', 503)
