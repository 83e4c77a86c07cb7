// The shapes the HTTP API answers with, for /openapi.json (OpenAPI 3.0: `nullable`, not type
// lists). They document; they never filter: responses are serialized with JSON.stringify (see
// openapi.ts), so a field a route adds is sent even before it is written down here.
import { BUILD_STATES } from '../store/builds.js'
import { ParityResultSchema } from './parity-schema.js'
import { NOTIFICATION_STATES } from '../store/notifications.js'
import { DELIVERY_STATUSES } from '../store/store.js'

const str = { type: 'string' } as const
const nstr = { type: 'string', nullable: true } as const
const nint = { type: 'integer', nullable: true } as const
const time = { type: 'string', format: 'date-time' } as const
const ntime = { type: 'string', format: 'date-time', nullable: true } as const

/** Every refusal and failure: `{statusCode, code, error, message}` with a stable TAMER_* code (src/errors.ts). */
export const ErrorBody = {
  $id: 'TamerError',
  description: 'A refusal (4xx) or failure (5xx) with a stable TAMER_* code (README, src/errors.ts)',
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', minimum: 400, maximum: 599 },
    code: { type: 'string', pattern: '^TAMER_[A-Z0-9_]+$' },
    error: { type: 'string', description: 'the status text' },
    message: { type: 'string', description: 'what was wrong; never a secret' },
  },
} as const

const errorRef = { $ref: 'TamerError#' } as const
/** The error responses every route can give. */
export const errors = { '4xx': errorRef, '5xx': errorRef } as const

/** The API's bearer tokens (`api.tokens`, TAMER_API_TOKEN), for `schema.security`. */
export const bearer = [{ bearerAuth: [] }]

/** A newest-first page: follow `nextCursor` (null on the last page). */
export const Page = (item: object) =>
  ({
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: { items: { type: 'array', items: item }, nextCursor: nint },
  }) as const

const skipped = {
  type: 'object',
  nullable: true,
  properties: { kept: { type: 'integer' }, skipped: { type: 'integer' }, reason: str },
} as const

/** The header the templates sign their posts to Tamer with (callback, metrics, sign-off). */
export const JenkinsSignature = {
  type: 'object',
  required: ['x-tamer-signature'],
  properties: {
    'x-tamer-signature': {
      type: 'string',
      description: 'sha256=<HMAC-SHA256 of the exact body with jenkins.callbackSecret, hex>',
    },
  },
} as const

export const Accepted = {
  description: 'Stored (202), or already stored or a ping (200)',
  type: 'object',
  required: ['id'],
  properties: { id: str, duplicate: { type: 'boolean' } },
} as const

export const DeliverySummary = {
  type: 'object',
  properties: {
    id: str,
    provider: { type: 'string', enum: ['github', 'gitlab', 'bitbucket-cloud', 'bitbucket-server'] },
    eventType: str,
    hostDeliveryId: nstr,
    tenant: str,
    repository: nstr,
    status: { type: 'string', enum: DELIVERY_STATUSES },
    kind: { type: 'string', enum: ['events', 'ping', 'ignored'] },
    receivedAt: time,
    updatedAt: time,
  },
} as const

export const DeliveryDetail = {
  type: 'object',
  properties: {
    ...DeliverySummary.properties,
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'as received, without signatures, tokens and credentials',
    },
    normalized: {
      type: 'object',
      description: 'the neutral events (src/events/model.ts), a ping, or why the delivery is ignored',
      properties: {
        kind: { type: 'string', enum: ['events', 'ping', 'ignored'] },
        events: { type: 'array', items: { type: 'object' } },
        note: str,
        reason: str,
        skipped,
      },
    },
    skipped: { type: 'object', properties: { events: skipped, builds: skipped } },
  },
} as const

const tests = {
  type: 'object',
  nullable: true,
  description: "from Jenkins' JUnit report (testReport); null when the build recorded none",
  properties: {
    total: { type: 'integer' },
    failed: { type: 'integer' },
    skipped: { type: 'integer' },
    failures: {
      type: 'array',
      description: 'the failed tests (at most 20): className.name and the first line of the error',
      items: { type: 'object', properties: { name: { type: 'string' }, error: { type: 'string', nullable: true } } },
    },
  },
} as const

export const BuildSummary = {
  type: 'object',
  properties: {
    id: str,
    deliveryId: {
      type: 'string',
      description: "Tamer's id of the delivery that started the build (not the git host's GUID)",
    },
    // The build's subject: what it is for, recorded when it was planned (not read from its Jenkins parameters).
    tenant: str,
    repository: nstr,
    provider: { type: 'string', enum: ['github', 'gitlab', 'bitbucket-cloud', 'bitbucket-server'] },
    ref: { ...nstr, description: "the ref built: a push's full ref, a pull request's source branch as refs/heads/…" },
    branch: { ...nstr, description: 'null for a tag' },
    commitSha: { ...nstr, description: 'the commit built' },
    pullRequest: { ...nint, description: "the pull request's number; null for a push" },
    eventKey: { ...nstr, description: 'the event the build is for, whichever delivery carried it' },
    rule: str,
    job: str,
    template: nstr,
    state: { type: 'string', enum: BUILD_STATES },
    queueId: nint,
    buildNumber: nint,
    buildUrl: nstr,
    result: nstr,
    durationMs: { type: 'number', nullable: true },
    failingStage: nstr,
    tests,
    attempts: { type: 'integer' },
    nextAttemptAt: ntime,
    lastError: nstr,
    runs: {
      type: 'array',
      description: 'every Jenkins run seen for this build',
      items: {
        type: 'object',
        properties: { queueId: nint, buildNumber: nint, buildUrl: nstr, source: str, seenAt: str },
      },
    },
    createdAt: time,
    updatedAt: time,
  },
} as const

export const BuildDetail = {
  type: 'object',
  properties: {
    ...BuildSummary.properties,
    parameters: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'the Jenkins job parameters, secrets masked',
    },
    callback: {
      type: 'object',
      nullable: true,
      properties: { result: nstr, failedStage: nstr, durationMs: { type: 'number', nullable: true }, at: str },
    },
    logTail: { ...nstr, description: 'the last console lines, secrets masked' },
    triggeredAt: ntime,
    acceptedAt: ntime,
    posts: {
      type: 'array',
      description: 'commit statuses and PR comment updates posted to the git host for this build, with its answers',
      items: {
        type: 'object',
        properties: {
          provider: str,
          repository: str,
          kind: { type: 'string', enum: ['status', 'comment'] },
          target: str,
          state: { type: 'string', enum: ['pending', 'sending', 'sent', 'dead', 'superseded'] },
          attempts: { type: 'integer' },
          lastError: nstr,
          answer: { type: 'object', nullable: true, additionalProperties: true },
          posted: { type: 'object', additionalProperties: true },
          updatedAt: str,
        },
      },
    },
    signoffs: {
      type: 'array',
      description:
        "the deployment's sign-offs (issue #15): who was asked, who decided what and when, what Jenkins was told",
      items: {
        type: 'object',
        properties: {
          id: str,
          environment: str,
          inputId: str,
          state: { type: 'string', enum: ['waiting', 'approved', 'rejected'] },
          summary: str,
          parties: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                party: str,
                decision: { type: 'string', enum: ['approved', 'rejected'], nullable: true },
                decidedAt: nstr,
              },
            },
          },
          createdAt: str,
          expiresAt: str,
          decidedAt: nstr,
          jenkinsAction: { type: 'string', enum: ['proceed', 'abort'], nullable: true },
          jenkinsActedAt: nstr,
          jenkinsError: nstr,
        },
      },
    },
    parity: {
      type: 'object',
      nullable: true,
      description:
        'the latest dev/prod parity result (issue #15 item 3): the largest differences and the package-version diff',
      properties: {
        verdict: { type: 'string', enum: ['pass', 'fail'] },
        summary: str,
        reportedAt: str,
        ...ParityResultSchema.properties,
      },
    },
  },
} as const

export const NotificationSummary = {
  type: 'object',
  properties: {
    id: str,
    buildId: nstr,
    tenant: str,
    repository: nstr,
    branch: nstr,
    channel: str,
    kind: str,
    outcome: str,
    subject: str,
    recipients: { type: 'integer', description: 'how many' },
    state: { type: 'string', enum: NOTIFICATION_STATES },
    attempts: { type: 'integer' },
    nextAttemptAt: ntime,
    lastError: nstr,
    acceptedBy: nstr,
    sentAt: nstr,
    createdAt: time,
    updatedAt: time,
  },
} as const

const notebookSummary = {
  type: 'object',
  properties: Object.fromEntries(
    ['cellsAdded', 'cellsRemoved', 'cellsModified', 'outputsChanged', 'sourcesChanged']
      .map((k) => [k, { type: 'integer' }])
      .concat([['metadataChanged', { type: 'boolean' }]]),
  ),
}

export const PushDiffs = {
  type: 'object',
  properties: {
    deliveryId: str,
    pushes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          repository: str,
          ref: nstr,
          base: str,
          head: str,
          notes: { type: 'array', items: str },
          files: {
            type: 'array',
            items: {
              type: 'object',
              description:
                'notebooks carry an nbdime-format `diff` and a `summary`; text files a `unified` diff; other files a `note`',
              properties: {
                path: str,
                oldPath: nstr,
                status: { type: 'string', enum: ['added', 'modified', 'deleted', 'renamed', 'copied', 'type-changed'] },
                kind: { type: 'string', enum: ['notebook', 'text', 'note'] },
                summary: notebookSummary,
                diff: { type: 'array', items: { type: 'object' } },
                unified: str,
                reason: str,
                note: str,
              },
            },
          },
        },
      },
    },
  },
} as const

export const DiffInProgress = {
  description: 'the diff is being made: ask again after retryAfterSeconds',
  type: 'object',
  properties: {
    deliveryId: str,
    status: { type: 'string', enum: ['in-progress'] },
    retryAfterSeconds: { type: 'integer' },
    message: str,
  },
} as const

export const AuditEntry = {
  type: 'object',
  properties: {
    id: str,
    at: time,
    actor: str,
    action: str,
    target: nstr,
    tenant: nstr,
    detail: { type: 'object', additionalProperties: true },
  },
} as const

export const ApiToken = {
  type: 'object',
  properties: {
    id: str,
    name: str,
    scope: { type: 'string', enum: ['read', 'operate', 'admin'] },
    tenants: { type: 'array', items: str, nullable: true },
    createdAt: time,
    createdBy: str,
    revokedAt: ntime,
  },
} as const

export const Status = (value: string) =>
  ({ type: 'object', required: ['status'], properties: { status: { type: 'string', enum: [value] } } }) as const
