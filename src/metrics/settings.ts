// A repository's `.tamer.yml`: parsed with the `yaml` package's document API (which keeps each
// node's source range, so every error names its line: https://eemeli.org/yaml/#documents), checked
// against one TypeBox schema, then joined with Tamer's own `metrics.policies` for the build's
// tenant, repository and rule. A policy's thresholds are defaults; what it forbids, the file may not
// set. Anything wrong is a RepoSettingsError whose message starts `.tamer.yml line N:`.
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import picomatch from 'picomatch'
import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml'
import { SignoffParties, Thresholds, type MetricsPolicyConfig } from '../config/metrics-schema.js'
import { RepoSettingsError } from '../errors.js'
import { THRESHOLD_FORMS, thresholdsFromParameter, toThreshold, type Threshold } from './thresholds.js'

export const SETTINGS_FILE = '.tamer.yml'

/** A file of the repository: a relative path that stays inside it. */
const RepoPath = Type.String({ pattern: '^(?![/\\\\])(?!.*(^|/)\\.\\.(/|$))[^\\0\\n\\r]{1,300}$' })
const ColumnName = Type.String({ minLength: 1, maxLength: 200 })

/** The dev/prod parity gate (issue #15 item 3; README: *Dev/prod parity gate*). */
export const ParitySettingsSchema = Type.Object(
  {
    /** the reference input set, read by `command` inside the built image */
    input: RepoPath,
    /** the predictions the development run produced on `input` (CSV with a header row) */
    predictions: RepoPath,
    /** run inside the image with TAMER_PARITY_INPUT and TAMER_PARITY_OUTPUT set; writes CSV to the latter */
    command: Type.String({ minLength: 1, maxLength: 2000 }),
    /** score columns and their absolute tolerance; every other column is compared exactly (labels) */
    scores: Type.Optional(Type.Record(ColumnName, Type.Number({ minimum: 0 }), { maxProperties: 200 })),
    /** a column naming each row (an id): shown in the differences, and tells another order from other rows */
    key: Type.Optional(ColumnName),
    /** the development environment's package versions: `pip freeze` output, a pinned lock, or `conda list` */
    packages: Type.Optional(RepoPath),
  },
  { additionalProperties: false },
)

export type ParitySettings = Static<typeof ParitySettingsSchema>

/** The schema of `.tamer.yml` (README: *Repository settings*). */
export const RepoSettingsSchema = Type.Object(
  {
    version: Type.Optional(Type.Literal(1)),
    metrics: Type.Optional(Type.Object({ thresholds: Type.Optional(Thresholds) }, { additionalProperties: false })),
    notify: Type.Optional(
      Type.Object(
        { to: Type.Optional(Type.Array(Type.String({ pattern: '^[^\\s@]+@[^\\s@]+$' }), { maxItems: 50 })) },
        { additionalProperties: false },
      ),
    ),
    /** who signs off a deployment, per environment: `production: [ada@example.com, …]` (every one must approve) */
    signoff: Type.Optional(SignoffParties),
    parity: Type.Optional(ParitySettingsSchema),
  },
  { additionalProperties: false },
)

export interface RepoSettings {
  thresholds: Record<string, Threshold>
  notifyTo: string[]
  /** sign-off parties per environment (mail addresses, lower-cased, each once) */
  signoff: Record<string, string[]>
  /** the dev/prod parity gate, when the repository asks for one */
  parity: ParitySettings | null
}

export const NO_SETTINGS: RepoSettings = { thresholds: {}, notifyTo: [], signoff: {}, parity: null }

/** Parties are mail addresses: compared and stored lower-cased, each once. */
const partiesOf = (list: readonly string[]) => [...new Set(list.map((p) => p.trim().toLowerCase()))]

/** Reads `.tamer.yml`'s text; throws RepoSettingsError naming the line. */
export function parseRepoSettings(text: string): RepoSettings {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const at = (offset: number | undefined) => {
    const p = offset === undefined ? null : lines.linePos(offset)
    return p ? `line ${p.line}, column ${p.col}` : 'line 1'
  }
  const first = doc.errors[0]
  if (first)
    throw new RepoSettingsError(`${SETTINGS_FILE} ${at(first.pos[0])}: not valid YAML: ${firstLine(first.message)}`)
  if (doc.contents === null) return NO_SETTINGS
  if (!isMap(doc.contents)) throw new RepoSettingsError(`${SETTINGS_FILE} line 1: must be a mapping (key: value)`)
  const data: unknown = doc.toJS({ maxAliasCount: 100 })
  const error = Value.Errors(RepoSettingsSchema, data).First()
  if (error) {
    const path = error.path.split('/').slice(1).map(unescapePointer)
    const unknownKey = error.message === 'Unexpected property'
    const where = nodeOffset(doc, path, unknownKey)
    const name = path.join('.') || '(top level)'
    const inThresholds = path[0] === 'metrics' && path[1] === 'thresholds' && path.length >= 3
    const problem =
      inThresholds && path.length === 3
        ? `a threshold is ${THRESHOLD_FORMS}`
        : unknownKey
          ? 'unknown key (the keys are in the README, *Repository settings and the metric gate*)'
          : path[0] === 'parity' && error.schema === RepoPath
            ? 'must be a path inside the repository (relative, without ..)'
            : error.message
    throw new RepoSettingsError(`${SETTINGS_FILE} ${at(where)}: ${name}: ${problem}`)
  }
  const s = data as {
    metrics?: { thresholds?: Record<string, unknown> }
    notify?: { to?: string[] }
    signoff?: Record<string, string[]>
    parity?: ParitySettings
  }
  const thresholds: Record<string, Threshold> = Object.create(null)
  for (const [k, v] of Object.entries(s.metrics?.thresholds ?? {})) {
    const t = toThreshold(v)
    if (!t)
      throw new RepoSettingsError(
        `${SETTINGS_FILE} ${at(nodeOffset(doc, ['metrics', 'thresholds', k]))}: metrics.thresholds.${k}: a threshold is ${THRESHOLD_FORMS}`,
      )
    thresholds[k] = t
  }
  const signoff: Record<string, string[]> = Object.create(null)
  for (const [env, list] of Object.entries(s.signoff ?? {})) signoff[env] = partiesOf(list)
  return { thresholds, notifyTo: s.notify?.to ?? [], signoff, parity: s.parity ?? null }
}

/** Where the settings of one build come from. */
export interface SettingsSubject {
  tenant: string
  repository: string | null
  rule: string
  /** the THRESHOLDS job parameter: the oldest defaults */
  thresholdsParameter?: string
}

const policyCovers = (p: MetricsPolicyConfig, s: SettingsSubject) =>
  (!p.tenant || p.tenant === s.tenant) &&
  (!p.rule || p.rule === s.rule) &&
  (!p.repository ||
    (s.repository !== null && picomatch.isMatch(s.repository, p.repository, { nocase: true, dot: true })))

/**
 * The effective settings: the THRESHOLDS parameter, then each covering policy's thresholds in
 * order, then the file's, unless a covering policy forbids that (a RepoSettingsError naming the line).
 */
export function effectiveSettings(
  file: { text: string } | null,
  subject: SettingsSubject,
  policies: readonly MetricsPolicyConfig[],
): RepoSettings {
  const own = file ? parseRepoSettings(file.text) : NO_SETTINGS
  const covering = policies.filter((p) => policyCovers(p, subject))
  const thresholds: Record<string, Threshold> = thresholdsFromParameter(subject.thresholdsParameter)
  for (const p of covering)
    for (const [k, v] of Object.entries(p.thresholds ?? {})) {
      const t = toThreshold(v)
      if (t) thresholds[k] = t
    }
  const forbidden = new Set(covering.flatMap((p) => p.forbid ?? []))
  const signoff: Record<string, string[]> = Object.create(null)
  for (const p of covering) for (const [env, list] of Object.entries(p.signoff ?? {})) signoff[env] = partiesOf(list)
  if (file) {
    const lines = new LineCounter()
    const doc = parseDocument(file.text, { lineCounter: lines })
    const at = (path: string[]) => {
      const p = lines.linePos(nodeOffset(doc, path) ?? 0)
      return `line ${p.line}, column ${p.col}`
    }
    for (const k of Object.keys(own.thresholds)) {
      if (forbidden.has('thresholds') || forbidden.has(`thresholds.${k}`))
        throw new RepoSettingsError(
          `${SETTINGS_FILE} ${at(['metrics', 'thresholds', k])}: metrics.thresholds.${k}: Tamer's config (metrics.policies) does not let this repository set ${forbidden.has('thresholds') ? 'thresholds' : `the threshold of ${k}`}`,
        )
      thresholds[k] = own.thresholds[k]!
    }
    if (own.notifyTo.length > 0 && forbidden.has('notify'))
      throw new RepoSettingsError(
        `${SETTINGS_FILE} ${at(['notify'])}: notify: Tamer's config (metrics.policies) does not let this repository name recipients`,
      )
    if (Object.keys(own.signoff).length > 0 && forbidden.has('signoff'))
      throw new RepoSettingsError(
        `${SETTINGS_FILE} ${at(['signoff'])}: signoff: Tamer's config (metrics.policies) does not let this repository name its sign-off parties`,
      )
    Object.assign(signoff, own.signoff)
  }
  return { thresholds, notifyTo: own.notifyTo, signoff, parity: own.parity }
}

/** Where the node at `path` starts (its key's position with `atKey`), or its nearest ancestor's. */
function nodeOffset(doc: ReturnType<typeof parseDocument>, path: string[], atKey = false): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true)
    const pair = isMap(parent)
      ? parent.items.find((i) => isScalar(i.key) && String(i.key.value) === path[n - 1])
      : undefined
    const key = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined
    const value = isNode(pair?.value) ? pair.value.range?.[0] : undefined
    if (atKey && n === path.length && key !== undefined) return key
    // `auc:` with no value has no value node: point at the key.
    const here = value ?? key
    if (here !== undefined) return here
    const node = doc.getIn(path.slice(0, n), true)
    if (isNode(node) && node.range) return node.range[0]
  }
  return isNode(doc.contents) ? doc.contents.range?.[0] : undefined
}

const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~')
const firstLine = (s: string) => s.split('\n')[0]!.trim()
