// The `metrics` settings (issue #15): the metrics intake's limits, which templates' builds read the
// repository's `.tamer.yml` first, and per tenant/repository/rule default thresholds and what a
// repository may not override. The threshold forms are shared with `.tamer.yml` (src/metrics/).
import { Type, type Static } from '@sinclair/typebox'

/** `>= 0.85`, `<= 12`, `> 0`, `< 1e-3`: one comparison with a finite number. */
export const COMPARISON_PATTERN = '^\\s*(>=|<=|>|<)\\s*[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?\\s*$'
/** Metric names as evaluation scripts write them (nested objects are joined with dots). */
export const METRIC_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.:/@-]{0,199}$'

export const ThresholdSchema = Type.Union([
  Type.Number(),
  Type.String({ pattern: COMPARISON_PATTERN }),
  Type.Object(
    {
      min: Type.Optional(Type.Number()),
      max: Type.Optional(Type.Number()),
      /** at most this much lower than the default branch's latest green build */
      maxDrop: Type.Optional(Type.Number({ minimum: 0 })),
      /** at most this much higher (for metrics where lower is better: rmse, loss) */
      maxRise: Type.Optional(Type.Number({ minimum: 0 })),
    },
    { additionalProperties: false, minProperties: 1 },
  ),
])

export const Thresholds = Type.Record(Type.String({ pattern: METRIC_NAME_PATTERN }), ThresholdSchema)

/** Sign-off parties per environment (issue #15): `production: [ada@example.com, risk@example.com]`. */
export const ENVIRONMENT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$'
export const SignoffParties = Type.Record(
  Type.String({ pattern: ENVIRONMENT_PATTERN }),
  Type.Array(Type.String({ pattern: '^[^\\s@<>,]+@[^\\s@<>,]+$', maxLength: 254 }), { minItems: 1, maxItems: 20 }),
  // Without it a key outside the pattern would pass unchecked (TypeBox puts the pattern in patternProperties).
  { additionalProperties: false },
)

const MetricsPolicy = Type.Object(
  {
    /** Which builds it covers; absent: all. `repository` is a glob, `rule` a routing rule's name. */
    tenant: Type.Optional(Type.String({ minLength: 1 })),
    repository: Type.Optional(Type.String({ minLength: 1 })),
    rule: Type.Optional(Type.String({ minLength: 1 })),
    /** Defaults a repository's `.tamer.yml` adds to or overrides (unless forbidden below). */
    thresholds: Type.Optional(Thresholds),
    /** Default sign-off parties per environment; `.tamer.yml`'s `signoff` replaces an environment's list. */
    signoff: Type.Optional(SignoffParties),
    /** What `.tamer.yml` may not set: `thresholds` (all), `thresholds.<metric>`, `notify`, `signoff`. */
    forbid: Type.Optional(Type.Array(Type.String({ pattern: '^(thresholds|thresholds\\..+|notify|signoff)$' }))),
  },
  { additionalProperties: false },
)

export const MetricsSettings = Type.Object(
  {
    /** Larger metrics reports are refused with 413 before they are read. */
    maxBodyBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
    /** Larger parity reports (the image's predictions and pip freeze) are refused with 413; also the most
     *  Tamer reads of a reference predictions or packages file. */
    parityMaxBodyBytes: Type.Integer({ minimum: 1024, default: 16 * 1_048_576 }),
    /** Most metrics in one report. */
    maxMetrics: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
    /** Builds of these templates read `.tamer.yml` at the pushed commit before they are triggered. */
    templates: Type.Array(Type.String({ minLength: 1 }), { default: ['data-science'] }),
    policies: Type.Array(MetricsPolicy, { default: [] }),
    /** How long a sign-off request's links work (and Tamer waits for every party). */
    signoffTtlHours: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 72 }),
  },
  { additionalProperties: false, default: {} },
)

export type MetricsConfig = Static<typeof MetricsSettings>
export type MetricsPolicyConfig = Static<typeof MetricsPolicy>
