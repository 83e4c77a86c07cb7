// The `notifications` part of the config schema: SMTP, chat channels and rules.
import { Type, type Static } from '@sinclair/typebox'

export const NOTICE_OUTCOMES = ['first-failure', 'still-failing', 'fixed', 'unstable', 'aborted'] as const

const Smtp = Type.Object(
  {
    /** `smtp://user:pass@host:587` or `smtps://…:465`; TAMER_SMTP_URL. Fields below override its parts. */
    url: Type.String({ default: '' }),
    host: Type.String({ default: '' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    /** TLS from the first byte (port 465). */
    secure: Type.Optional(Type.Boolean()),
    /** Refuse to send unless the server offers STARTTLS. */
    requireTLS: Type.Boolean({ default: false }),
    /** Check the server's certificate (turn off only for a private CA you cannot install). */
    rejectUnauthorized: Type.Boolean({ default: true }),
    user: Type.String({ default: '' }),
    password: Type.String({ default: '' }),
    /** From header, e.g. `Tamer <tamer@example.com>`; TAMER_SMTP_FROM. */
    from: Type.String({ default: 'Tamer <tamer@localhost>' }),
    timeoutMs: Type.Integer({ minimum: 100, default: 30_000 }),
  },
  { additionalProperties: false, default: {} },
)

const ChatChannel = Type.Object(
  {
    /** What rules call it; `email` is the SMTP channel. */
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
    type: Type.Union([
      Type.Literal('slack'),
      Type.Literal('teams'),
      Type.Literal('mattermost'),
      Type.Literal('google-chat'),
      Type.Literal('webhook'),
    ]),
    /** The incoming-webhook URL (it is a credential: never logged nor shown). */
    url: Type.String({ minLength: 1 }),
    /** webhook only: HMAC-SHA256 key of `X-Tamer-Signature`. */
    secret: Type.String({ default: '' }),
  },
  { additionalProperties: false },
)

const NotifyRule = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    tenant: Type.Optional(Type.String({ minLength: 1 })),
    /** A glob on `owner/name`. */
    repository: Type.Optional(Type.String({ minLength: 1 })),
    /** A regex on the whole branch name. */
    branch: Type.Optional(Type.String({ minLength: 1 })),
    on: Type.Array(Type.Union(NOTICE_OUTCOMES.map((o) => Type.Literal(o))), {
      default: ['first-failure', 'still-failing', 'fixed'],
    }),
    /** Still failing notifies at most once per this many hours or this many builds (whichever comes first). */
    stillFailing: Type.Object(
      {
        everyHours: Type.Number({ exclusiveMinimum: 0, default: 24 }),
        everyBuilds: Type.Integer({ minimum: 1, default: 10 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Fixed mail recipients. */
    to: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Mail the authors of the commits since the last green build of the branch. */
    culprits: Type.Boolean({ default: true }),
    /** Mail who pushed. */
    pusher: Type.Boolean({ default: false }),
    /** Chat channels (names from `notifications.channels`). */
    channels: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  },
  { additionalProperties: false },
)

export const NotificationsSettings = Type.Object(
  {
    smtp: Smtp,
    channels: Type.Array(ChatChannel, { default: [] }),
    /** Every matching rule adds its recipients and channels. None: nobody is notified. */
    rules: Type.Array(NotifyRule, { default: [] }),
    /** Values masked in console logs besides the configured Tamer secrets. */
    maskValues: Type.Array(Type.String({ minLength: 4 }), { default: [] }),
    /** Console lines in a notice. */
    logLines: Type.Integer({ minimum: 0, maximum: 200, default: 40 }),
    /** Most mail recipients of one notice; the rest are dropped (and counted in the log). */
    maxRecipients: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
    /** Backoff of failed sends: base, doubled per attempt, capped; then a dead letter. */
    retryBaseMs: Type.Integer({ minimum: 1, default: 30_000 }),
    retryMaxMs: Type.Integer({ minimum: 1, default: 3_600_000 }),
    maxAttempts: Type.Integer({ minimum: 1, default: 8 }),
    /** Chat webhook request timeout. */
    timeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
  },
  { additionalProperties: false, default: {} },
)

export type NotificationsConfig = Static<typeof NotificationsSettings>
export type NotifyRuleConfig = Static<typeof NotifyRule>
export type ChatChannelConfig = Static<typeof ChatChannel>
export type SmtpConfig = Static<typeof Smtp>
