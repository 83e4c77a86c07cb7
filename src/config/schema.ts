// The one config schema. Defaults here are the embedded zero-setup defaults.
import { Type, type Static } from '@sinclair/typebox'
import { NotificationsSettings } from './notifications-schema.js'
import { MetricsSettings } from './metrics-schema.js'

const SecretList = Type.Array(Type.String({ minLength: 1 }), { default: [] })

/** Per-repository secrets: `match` is a glob on the repository's full name (e.g. `acme/models-*`). */
const RepositorySecrets = Type.Object(
  {
    match: Type.String({ minLength: 1 }),
    secrets: SecretList,
  },
  { additionalProperties: false },
)

const HmacProvider = Type.Object(
  {
    secrets: SecretList,
    repositories: Type.Array(RepositorySecrets, { default: [] }),
  },
  { additionalProperties: false, default: {} },
)

const GitLabProvider = Type.Object(
  {
    /** Classic `X-Gitlab-Token` shared tokens. */
    tokens: SecretList,
    /** Standard-Webhooks signing tokens (`whsec_…`) for `webhook-signature`. */
    signingTokens: SecretList,
    /** How far `webhook-timestamp` may be from now, in seconds. */
    signatureToleranceSeconds: Type.Integer({ minimum: 1, default: 300 }),
    repositories: Type.Array(
      Type.Object(
        { match: Type.String({ minLength: 1 }), tokens: SecretList, signingTokens: SecretList },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
  },
  { additionalProperties: false, default: {} },
)

const ApiToken = Type.Union([
  Type.String({ minLength: 8 }),
  Type.Object(
    {
      token: Type.String({ minLength: 8 }),
      /** Tenants this token may read; omitted = all. */
      tenants: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
      /** read (default): GET routes; operate: also routes that change state; admin: also tokens and the audit log. */
      scope: Type.Optional(Type.Union([Type.Literal('read'), Type.Literal('operate'), Type.Literal('admin')])),
      /** Who this token is in the audit log (default `api.tokens[<index>]`). */
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    },
    { additionalProperties: false },
  ),
])

/** Where Jenkins is and how Tamer talks to it; no url = Tamer records what it would trigger. */
const JenkinsSettings = Type.Object(
  {
    url: Type.String({ default: '' }),
    user: Type.String({ default: '' }),
    /** An API token (no CSRF crumb needed); a password works too, at one crumb request per POST. */
    token: Type.String({ default: '' }),
    /** Whether `token` is a password (then a crumb is fetched before every POST). */
    tokenIsPassword: Type.Boolean({ default: false }),
    /** HMAC key of X-Tamer-Signature on the templates' callbacks (Jenkins credential `tamer-callback-secret`). */
    callbackSecret: Type.String({ default: '' }),
    /** Tamer's public base URL as Jenkins reaches it; CALLBACK_URL is derived from it. */
    publicUrl: Type.String({ default: '' }),
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
    /** Backoff of failed Jenkins calls: base, doubled per attempt, capped. */
    retryBaseMs: Type.Integer({ minimum: 1, default: 1_000 }),
    retryMaxMs: Type.Integer({ minimum: 1, default: 300_000 }),
    /** Polling of queued and running builds (the fallback when a callback is lost). */
    pollInitialMs: Type.Integer({ minimum: 1, default: 2_000 }),
    pollMaxMs: Type.Integer({ minimum: 1, default: 60_000 }),
    /** The quiet period of the jobs Tamer triggers (Jenkins' global default: 5 s). */
    quietPeriodSec: Type.Integer({ minimum: 0, default: 5 }),
    /**
     * A trigger whose outcome is unknown (crash, timeout) and that Jenkins shows nowhere is
     * looked for again this long after the quiet period before it is posted again (issue #17).
     */
    uncertainGraceMs: Type.Integer({ minimum: 0, default: 10_000 }),
  },
  { additionalProperties: false, default: {} },
)

/** HTTPS credentials for fetching private repositories into the diff mirrors. */
const GitSettings = Type.Object(
  {
    credentials: Type.Array(
      Type.Object(
        {
          /** An http(s) URL prefix (`https://github.com/acme/`); the longest one covering a clone URL at a `/` boundary is used. */
          url: Type.String({ minLength: 1 }),
          /**
           * GitHub takes any name with a PAT (`x-access-token` for app tokens); GitLab OAuth tokens need `oauth2`;
           * Bitbucket Cloud access tokens `x-token-auth`.
           */
          username: Type.String({ minLength: 1, default: 'x-access-token' }),
          /** The token (or password); sent as HTTP Basic auth, only to URLs under `url`. */
          password: Type.String({ minLength: 1 }),
          /** Only these tenants' repositories get it (`*`: all); required once `tenants` are configured. */
          tenants: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    /**
     * Where each provider's repositories are fetched from and checked out from: `<url>/<full name>.git`,
     * never a URL from the payload. Setting the list replaces the public defaults.
     */
    hosts: Type.Array(
      Type.Object(
        {
          provider: Type.Union([
            Type.Literal('github'),
            Type.Literal('gitlab'),
            Type.Literal('bitbucket-cloud'),
            Type.Literal('bitbucket-server'),
          ]),
          /** `https://github.com`, `https://gitlab.example.com`, `https://bitbucket.example.com/scm`. */
          url: Type.String({ minLength: 1 }),
          /** Only these tenants' repositories are fetched from this host; absent: every tenant's. */
          tenants: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        },
        { additionalProperties: false },
      ),
      {
        default: [
          { provider: 'github', url: 'https://github.com' },
          { provider: 'gitlab', url: 'https://gitlab.com' },
          { provider: 'bitbucket-cloud', url: 'https://bitbucket.org' },
        ],
      },
    ),
    /** URL schemes the mirrors may use (ssh uses the agent at SSH_AUTH_SOCK). */
    protocols: Type.Array(Type.Union([Type.Literal('https'), Type.Literal('http'), Type.Literal('ssh')]), {
      minItems: 1,
      default: ['https'],
    }),
    /**
     * `host` or `host:port` allowed to resolve to loopback, private or link-local addresses (a self-hosted server
     * inside the network).
     */
    allowPrivateHosts: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
  },
  { additionalProperties: false, default: {} },
)

/** When the living PR comment is written: never, when a build failed, or on every build (issue #13). */
const CommentMode = Type.Union([Type.Literal('off'), Type.Literal('failure'), Type.Literal('always')])

/** Credentials Tamer posts commit statuses and PR comments with, per host and tenant (issue #13). */
const ReportingHost = Type.Object(
  {
    provider: Type.Union([
      Type.Literal('github'),
      Type.Literal('gitlab'),
      Type.Literal('bitbucket-cloud'),
      Type.Literal('bitbucket-server'),
    ]),
    /**
     * The host's API root: `https://api.github.com` (GHES `https://ghe.example.com/api/v3`),
     * `https://gitlab.com/api/v4`, `https://api.bitbucket.org/2.0`, a Bitbucket Server's base URL.
     * Absent: the public host's (required for Bitbucket Server).
     */
    apiUrl: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * Only these repositories (`owner/name` globs, `acme/*`), matched against the signed delivery's repository;
     * absent: every repository of the provider (and tenants). Never a URL from a payload: it picks a credential.
     */
    repositories: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** A token (GitHub PAT, GitLab access token, Bitbucket app password or access token, Bitbucket Server token). */
    token: Type.Optional(Type.String({ minLength: 1 })),
    /** Bitbucket Cloud: the user of an app password (`x-token-auth` for an access token). */
    username: Type.Optional(Type.String({ minLength: 1 })),
    /** GitHub App: installation tokens made from the app's private key, refreshed before they expire. */
    app: Type.Optional(
      Type.Object(
        {
          id: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })]),
          privateKey: Type.String({ minLength: 1 }),
          /** Absent: looked up per repository (GET /repos/{owner}/{repo}/installation). */
          installationId: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Only these tenants' repositories (`*`: all); absent: every tenant's. */
    tenants: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  },
  { additionalProperties: false },
)

/** Results where people work: commit statuses and one living PR comment (issue #13). */
const ReportingSettings = Type.Object(
  {
    /** A build not ended this long after it was planned gets the status `error` ("timed out"). */
    timeoutHours: Type.Number({ exclusiveMinimum: 0, default: 6 }),
    /** The living PR comment: off, only when a build failed, or always; a rule may override it. */
    comment: Type.Union([Type.Literal('off'), Type.Literal('failure'), Type.Literal('always')], { default: 'always' }),
    hosts: Type.Array(ReportingHost, { default: [] }),
    /** Time limit of one request to a git host. */
    timeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
    /** Backoff of a failed post (5xx, 429, timeouts): the base, doubled per attempt up to the max; then dead. */
    retryBaseMs: Type.Integer({ minimum: 1, default: 5_000 }),
    retryMaxMs: Type.Integer({ minimum: 1, default: 900_000 }),
    maxAttempts: Type.Integer({ minimum: 1, default: 10 }),
  },
  { additionalProperties: false, default: {} },
)

/** A cron expression (5 or 6 fields, croner's syntax) in a time zone; checked at config load. */
const Schedule = Type.Object(
  {
    cron: Type.String({ minLength: 1 }),
    /** IANA zone, e.g. Europe/Berlin; default UTC. */
    timezone: Type.String({ minLength: 1, default: 'UTC' }),
    /** The branch to run; default each repository's default branch. */
    branch: Type.Optional(Type.String({ minLength: 1 })),
    parameters: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), { default: {} }),
  },
  { additionalProperties: false },
)

/** A routing rule: which events start which job. Absent conditions match everything. */
const Rule = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    tenant: Type.Optional(Type.String({ minLength: 1 })),
    /** A glob on `owner/name`, or a regex written as `/…/`. */
    repository: Type.Optional(Type.String({ minLength: 1 })),
    /** Regexes, matched against the whole branch or tag name. */
    branch: Type.Optional(Type.String({ minLength: 1 })),
    tag: Type.Optional(Type.String({ minLength: 1 })),
    events: Type.Array(Type.Union([Type.Literal('push'), Type.Literal('tag'), Type.Literal('pull_request')]), {
      minItems: 1,
      default: ['push'],
    }),
    /** Globs; the rule matches when any changed file matches one. */
    paths: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** A template in jenkinsfiles/; without one, `job` names an existing job Tamer does not manage. */
    template: Type.Optional(Type.String({ minLength: 1 })),
    /** Job name pattern, e.g. `ds/{repo}/{branch}`; slashes are folders. */
    job: Type.String({ minLength: 1 }),
    parameters: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), { default: {} }),
    /** The living PR comment for this rule's builds (issue #13); absent: reporting.comment. */
    comment: Type.Optional(CommentMode),
    /** Runs on a clock (issue #14): each known repository the rule matches, on its default branch or `branch`. */
    schedules: Type.Optional(Type.Array(Schedule, { minItems: 1 })),
  },
  { additionalProperties: false },
)

/** Branches (issue #14): how often the remote's branches are listed, how many a job's BRANCH choice list holds. */
const BranchSettings = Type.Object(
  {
    /** 0: only on demand (`?refresh=true`) and from pushes. */
    syncEveryMinutes: Type.Integer({ minimum: 0, default: 60 }),
    maxChoices: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
  },
  { additionalProperties: false, default: {} },
)

/**
 * Requests per window, per source IP and per tenant (issue #9). `0` turns one limit off.
 * Hook limits sit far above a real host's burst (GitHub sends from a few addresses, a big
 * self-managed GitLab from one), so they only stop floods.
 */
const RateLimitSettings = Type.Object(
  {
    windowMs: Type.Integer({ minimum: 1000, default: 60_000 }),
    /** Deliveries (and Jenkins callbacks) per source IP, counted before any work. */
    hooksPerSource: Type.Integer({ minimum: 0, default: 10_000 }),
    /** Accepted deliveries per tenant, counted after verification, before storing (429 + Retry-After). */
    hooksPerTenant: Type.Integer({ minimum: 0, default: 5_000 }),
    /** API, diff page and unknown-route requests per source IP, counted before authentication. */
    apiPerSource: Type.Integer({ minimum: 0, default: 3_000 }),
    /** API and diff page requests per token identity (its tenants), counted after authentication. */
    apiPerTenant: Type.Integer({ minimum: 0, default: 1_200 }),
  },
  { additionalProperties: false, default: {} },
)

const PipelineSettings = Type.Object(
  {
    /** Events of one delivery that are stored for routing (a Bitbucket push can carry thousands of refs). */
    maxEventsPerDelivery: Type.Integer({ minimum: 1, default: 50 }),
    /** Builds one delivery may start. */
    maxBuildsPerDelivery: Type.Integer({ minimum: 1, default: 50 }),
    /** Routes of one delivery that may throw before it is `failed`, a dead letter (retried with backoff till then). */
    maxRouteAttempts: Type.Integer({ minimum: 1, default: 5 }),
  },
  { additionalProperties: false, default: {} },
)

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        /** GitHub and GitLab both cap deliveries at 25 MB. */
        maxBodyBytes: Type.Integer({ minimum: 1024, default: 25 * 1024 * 1024 }),
        /**
         * Bytes of deliveries being read, verified and stored at once; past it 503 TAMER_BUSY with Retry-After
         * (issue #12: memory grew with the backlog). 0 turns it off; one delivery alone always gets in.
         */
        maxInFlightBytes: Type.Integer({ minimum: 0, default: 64 * 1024 * 1024 }),
        /**
         * The share of it one source address may hold: bodies count before their signature is known, so
         * without a share one sender of large forged uploads could keep signed deliveries out. 0: no share.
         */
        maxInFlightBytesPerSource: Type.Integer({ minimum: 0, default: 32 * 1024 * 1024 }),
        logLevel: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
        rateLimit: RateLimitSettings,
        /** On SIGTERM, /readyz answers 503 this long before the listener closes (load balancers stop sending). */
        drainDelayMs: Type.Integer({ minimum: 0, maximum: 120_000, default: 5_000 }),
        /** On SIGTERM, the process exits (code 1) if draining and closing take longer than this. */
        shutdownTimeoutMs: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 25_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Bounds on what one delivery sets off (issue #9, item 8). */
    pipeline: PipelineSettings,
    dataDir: Type.String({ minLength: 1, default: './data' }),
    store: Type.Object(
      {
        /** sqlite: the embedded default (one replica); postgres: store.url (replicas may share it). */
        engine: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { default: 'sqlite' }),
        /** The old name of `engine`, from when SQLite was the only one; still read. */
        driver: Type.Optional(Type.Literal('sqlite')),
        /** postgres: `postgres://user:password@host:5432/tamer` (libpq URL); TAMER_DATABASE_URL. */
        url: Type.Optional(Type.String({ minLength: 1 })),
        postgres: Type.Object(
          {
            /** Most deliveries (and, apart, other writes) committed in one transaction (group commit). */
            maxBatch: Type.Integer({ minimum: 1, maximum: 5000, default: 256 }),
            /** Connections of this replica's pool. */
            poolSize: Type.Integer({ minimum: 2, maximum: 100, default: 8 }),
            /**
             * How long a replica's claim on a piece of work lasts without its heartbeat: a killed
             * replica's work is taken over this long after it died (src/store/leases.ts).
             */
            leaseMs: Type.Integer({ minimum: 200, maximum: 600_000, default: 30_000 }),
          },
          { additionalProperties: false, default: {} },
        ),
        sqlite: Type.Object(
          {
            /** FULL: an acknowledged delivery survives power loss, not only a crash. */
            synchronous: Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')], { default: 'FULL' }),
            /** Most deliveries committed in one transaction (group commit). */
            maxBatch: Type.Integer({ minimum: 1, maximum: 10000, default: 256 }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    api: Type.Object({ tokens: Type.Array(ApiToken, { default: [] }) }, { additionalProperties: false, default: {} }),
    /** Notebook-aware diffs of pushes. */
    diffs: Type.Object(
      {
        /** native: in-process (default); nbdime: the installed nbdiff, native when it is absent. */
        engine: Type.Union([Type.Literal('native'), Type.Literal('nbdime')], { default: 'native' }),
        nbdiffPath: Type.String({ minLength: 1, default: 'nbdiff' }),
        nbdiffTimeoutMs: Type.Integer({ minimum: 1000, default: 120_000 }),
        /** Notebooks larger than this are summarized, not diffed. */
        maxNotebookBytes: Type.Integer({ minimum: 1024, default: 20 * 1024 * 1024 }),
        /** Files beyond this many in one push are listed, not diffed. */
        maxFiles: Type.Integer({ minimum: 1, default: 300 }),
        /** Render a push's diff right after intake (so pages and notices find it stored), not only on first view. */
        precompute: Type.Boolean({ default: true }),
        /** A push diff larger than this (serialized) is not stored; it is rendered again on each view. */
        storeMaxBytes: Type.Integer({ minimum: 0, default: 32 * 1024 * 1024 }),
        /** Stored diffs older than this are deleted (a later view makes them again from git); 0 keeps them. */
        storeDays: Type.Integer({ minimum: 0, default: 90 }),
        /**
         * A notebook not diffed within this is "too large to diff in time" (kept like a diff). Bounds nbdiffTimeoutMs
         * too.
         */
        timeLimitMs: Type.Integer({ minimum: 100, default: 20_000 }),
        /** Diff worker threads; 0: min(2, available cores). One tenant uses at most all but one. */
        workers: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
        /**
         * Most line pairs compared to align one cell's source or output text; over it the changed block shows removed
         * and added.
         */
        maxLinePairs: Type.Integer({ minimum: 0, default: 500_000 }),
        /** Lines longer than this are compared for equality only (a changed one shows removed and added). */
        maxLineChars: Type.Integer({ minimum: 0, default: 10_000 }),
        /** How long a page waits for a diff being made before answering 202 "in progress". */
        pageWaitMs: Type.Integer({ minimum: 0, maximum: 25_000, default: 2_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Signed links to diff pages (DIFF_URL, mails, chat): opened without a bearer token until they expire. */
    links: Type.Object(
      {
        /** HMAC key; empty: no signed links, pages need a bearer token. */
        secret: Type.String({ default: '' }),
        ttlDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The web console at /ui/ (issue #14): sessions made from an API token. */
    console: Type.Object(
      {
        /** HMAC key of the session cookie; empty: a random key per process (sessions end at a restart). */
        sessionSecret: Type.String({ default: '' }),
        /** How long a console session lasts. */
        sessionHours: Type.Integer({ minimum: 1, maximum: 720, default: 12 }),
        /** Sign-in with OpenID Connect (src/console/oidc.ts); off while `issuer` is empty. */
        oidc: Type.Object(
          {
            /** The provider's issuer URL; its /.well-known/openid-configuration is read at the first sign-in. */
            issuer: Type.String({ default: '' }),
            clientId: Type.String({ default: '' }),
            /** A secret: masked everywhere (security/secrets.ts); TAMER_OIDC_CLIENT_SECRET. */
            clientSecret: Type.String({ default: '' }),
            /** Registered at the provider; empty: `<jenkins.publicUrl>/ui/oidc/callback`. */
            redirectUrl: Type.String({ default: '' }),
            scopes: Type.String({ default: 'openid email profile' }),
            /** The sign-in button's text. */
            label: Type.String({ default: 'Sign in with single sign-on' }),
            /** The first grant whose claim matches decides the session's tenants and scope; none: 403. */
            grants: Type.Array(
              Type.Object(
                {
                  /** An ID token claim, e.g. `groups` or `email`. */
                  claim: Type.String({ minLength: 1 }),
                  /** Equal to the claim (or one of its values); `*@example.com` matches by suffix. */
                  value: Type.String({ minLength: 1 }),
                  /** Omitted: every tenant. */
                  tenants: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
                  scope: Type.Union([Type.Literal('read'), Type.Literal('operate'), Type.Literal('admin')], {
                    default: 'read',
                  }),
                },
                { additionalProperties: false },
              ),
              { default: [] },
            ),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    /** GET /metrics, Prometheus' text format (issue #16). */
    prometheus: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** Bearer token the scraper must send; empty: /metrics is open (keep it off the public ingress). */
        token: Type.String({ default: '' }),
      },
      { additionalProperties: false, default: {} },
    ),
    tenants: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
          repositories: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    defaultTenant: Type.String({ minLength: 1, default: 'default' }),
    providers: Type.Object(
      {
        github: HmacProvider,
        gitlab: GitLabProvider,
        /** Bitbucket Cloud and Bitbucket Server/Data Center share `X-Hub-Signature`. */
        bitbucket: HmacProvider,
      },
      { additionalProperties: false, default: {} },
    ),
    jenkins: JenkinsSettings,
    git: GitSettings,
    rules: Type.Array(Rule, { default: [] }),
    branches: BranchSettings,
    notifications: NotificationsSettings,
    metrics: MetricsSettings,
    reporting: ReportingSettings,
  },
  { additionalProperties: false },
)

export type Config = Static<typeof ConfigSchema>
export type ApiTokenConfig = Static<typeof ApiToken>
export type RuleConfig = Static<typeof Rule>
export type ScheduleConfig = Static<typeof Schedule>
export type JenkinsConfig = Static<typeof JenkinsSettings>
export type ReportingConfig = Static<typeof ReportingSettings>
export type ReportingHostConfig = Static<typeof ReportingHost>
