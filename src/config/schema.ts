// The one config schema. Defaults here are the embedded zero-setup defaults.
import { Type, type Static } from '@sinclair/typebox'

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
    },
    { additionalProperties: false },
  ),
])

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        /** GitHub and GitLab both cap deliveries at 25 MB. */
        maxBodyBytes: Type.Integer({ minimum: 1024, default: 25 * 1024 * 1024 }),
        logLevel: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    dataDir: Type.String({ minLength: 1, default: './data' }),
    store: Type.Object(
      {
        driver: Type.Literal('sqlite', { default: 'sqlite' }),
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
    tenants: Type.Array(
      Type.Object(
        { name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }), repositories: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }) },
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
  },
  { additionalProperties: false },
)

export type Config = Static<typeof ConfigSchema>
export type ApiTokenConfig = Static<typeof ApiToken>
