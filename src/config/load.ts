// The only place that reads the environment and config files. It checks what the schema and the
// config's own keys say; the checks that need another domain (git URLs, Jenkins templates, mail
// addresses) are exported by each domain and run by src/compose/config.ts, which every command uses.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { parse as parseYaml } from 'yaml'
import { ConfigError } from '../errors.js'
import { credentialPrefixProblem } from './credential-url.js'
import { withSecretFiles } from './env-files.js'
import { ConfigSchema, type Config } from './schema.js'

export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../../config/default.yaml', import.meta.url))

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv
  /** Overrides TAMER_CONFIG. */
  file?: string
  /** Values laid over everything else (tests). */
  overrides?: unknown
}

type Env = NodeJS.ProcessEnv

// Compiled once per process, in every test file and `tamer` child that loads the config: without
// Ajv's optimizing pass (which only simplifies the generated code; same checks, same errors) about
// half the CPU: ~0.4 s → ~0.2 s on Node 22, ~0.26 s → ~0.17 s on Node 24. https://ajv.js.org/options.html#code
const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false, code: { optimize: false } } as const
const validate = configValidator()

/**
 * Run from sources (tests, benches, the `tamer` children the tests start: ~200 processes an npm test), the
 * compiled validator is also kept as Ajv standalone code in node_modules/.cache/tamer-ajv, named by a hash
 * of Ajv's version, its options and the schema, and later processes load it instead of compiling (and V8's
 * code cache covers it): ~0.2 s of CPU less in each. Beside the dependencies, as scripts/ts-hooks.mjs keeps
 * stripped sources: what is read there is run as code. Built code compiles, as before. Written to a unique
 * name, then renamed: concurrent processes never read half a file. https://ajv.js.org/standalone.html
 */
function configValidator(): ValidateFunction<Config> {
  if (!import.meta.url.endsWith('.ts')) return new Ajv(AJV_OPTIONS).compile<Config>(ConfigSchema)
  const require = createRequire(import.meta.url)
  const { version } = require('ajv/package.json') as { version: string }
  const hash = createHash('sha256')
    .update(version)
    .update(JSON.stringify([AJV_OPTIONS, ConfigSchema]))
    .digest('hex')
  const dir = fileURLToPath(new URL('../../node_modules/.cache/tamer-ajv/', import.meta.url))
  const file = join(dir, `config-${hash}.cjs`)
  try {
    return require(file) as ValidateFunction<Config>
  } catch {
    // Not made yet (or unreadable): compiled here, and kept for the next process.
  }
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { ...AJV_OPTIONS.code, source: true } })
  const compiled = ajv.compile<Config>(ConfigSchema)
  try {
    mkdirSync(dir, { recursive: true })
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default
    writeFileSync(tmp, standaloneCode(ajv, compiled))
    renameSync(tmp, file)
  } catch {
    // A read-only or full cache dir costs the next process a compile, nothing more.
  }
  return compiled
}

/** The config, checked against the schema and its own keys; src/compose/config.ts adds the domains' checks. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  return validateConfig(merged(options))
}

/**
 * The config before the checks across keys, for what completes it from the store (secrets
 * sealed there, src/secrets/stored.ts): a `jenkins.user` whose token is stored is not an error
 * yet. Its shape and defaults are checked; validateConfig and the domains' checks (checkConfig in
 * src/compose/config.ts) must still be run on the result.
 */
export function loadDraftConfig(options: LoadConfigOptions = {}): Config {
  const candidate = structuredClone(merged(options) ?? {})
  if (!validate(candidate)) throw toConfigError(validate.errors ?? [])
  return candidate
}

function merged(options: LoadConfigOptions): unknown {
  // Secrets may come from files (TAMER_GITHUB_SECRET_FILE, …), e.g. a mounted Kubernetes Secret.
  const env = withSecretFiles(options.env ?? {})
  let merged = readYaml(DEFAULT_CONFIG_FILE)
  const file = options.file ?? env.TAMER_CONFIG
  if (file) merged = deepMerge(merged, readYaml(file))
  merged = deepMerge(merged, envOverrides(env))
  if (options.overrides !== undefined) merged = deepMerge(merged, options.overrides)
  return merged
}

/** A config value checked against the schema (defaults filled in) and its own keys; see loadConfig. */
export function validateConfig(raw: unknown): Config {
  const candidate = structuredClone(raw ?? {})
  if (!validate(candidate)) throw toConfigError(validate.errors ?? [])
  checkGlobs(candidate)
  return candidate
}

function readYaml(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError('TAMER_CONFIG', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  try {
    return parseYaml(text) ?? {}
  } catch (err) {
    throw new ConfigError('TAMER_CONFIG', `${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
}

/**
 * Lists in env are comma-separated (or one per line, in a `*_FILE`), so several secrets can be live during a rotation.
 */
function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

function envOverrides(env: Env): Record<string, unknown> {
  type Tree = Record<string, unknown>
  const out: Tree = {}
  const set = (path: string[], value: unknown) => {
    if (value === undefined) return
    let node = out
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Tree
    node[path[path.length - 1]!] = value
  }
  if (env.TAMER_PORT !== undefined) set(['server', 'port'], parseInteger('TAMER_PORT', env.TAMER_PORT))
  set(['server', 'host'], env.TAMER_HOST)
  set(['server', 'logLevel'], env.TAMER_LOG_LEVEL)
  set(['dataDir'], env.TAMER_DATA_DIR)
  set(['store', 'url'], env.TAMER_DATABASE_URL)
  set(['providers', 'github', 'secrets'], list(env.TAMER_GITHUB_SECRET))
  set(['providers', 'gitlab', 'tokens'], list(env.TAMER_GITLAB_TOKEN))
  set(['providers', 'gitlab', 'signingTokens'], list(env.TAMER_GITLAB_SIGNING_TOKEN))
  set(['providers', 'bitbucket', 'secrets'], list(env.TAMER_BITBUCKET_SECRET))
  set(['api', 'tokens'], list(env.TAMER_API_TOKEN))
  set(['links', 'secret'], env.TAMER_LINK_SECRET)
  set(['console', 'sessionSecret'], env.TAMER_SESSION_SECRET)
  set(['console', 'oidc', 'clientSecret'], env.TAMER_OIDC_CLIENT_SECRET)
  set(['prometheus', 'token'], env.TAMER_METRICS_TOKEN)
  set(['diffs', 'engine'], env.TAMER_DIFF_ENGINE)
  set(['jenkins', 'url'], env.TAMER_JENKINS_URL)
  set(['jenkins', 'user'], env.TAMER_JENKINS_USER)
  set(['jenkins', 'token'], env.TAMER_JENKINS_TOKEN)
  set(['jenkins', 'callbackSecret'], env.TAMER_JENKINS_CALLBACK_SECRET)
  set(['jenkins', 'publicUrl'], env.TAMER_PUBLIC_URL)
  set(['notifications', 'smtp', 'url'], env.TAMER_SMTP_URL)
  set(['notifications', 'smtp', 'password'], env.TAMER_SMTP_PASSWORD)
  set(['notifications', 'smtp', 'from'], env.TAMER_SMTP_FROM)
  set(['git', 'credentials'], gitCredentials(env.TAMER_GIT_CREDENTIALS))
  return out
}

/**
 * `https://user:token@host/prefix/` URLs, comma-separated; `https://token@host/…` takes the default
 * username. Userinfo is percent-decoded (`%2C` for a comma). Errors give the entry's position, never its text.
 */
function gitCredentials(value: string | undefined): { url: string; username?: string; password: string }[] | undefined {
  return list(value)?.map((entry, i) => {
    const bad = (problem: string) => new ConfigError('TAMER_GIT_CREDENTIALS', `entry ${i + 1} ${problem}`)
    const scheme = /^https?:\/\//i.exec(entry)?.[0]
    // As URL parsers do: the userinfo ends at the authority's last `@`.
    const authority = scheme === undefined ? '' : entry.slice(scheme.length).split(/[/?#]/)[0]!
    const at = authority.lastIndexOf('@')
    if (scheme === undefined || at < 0) throw bad('must look like https://user:token@host/prefix/')
    const userinfo = authority.slice(0, at)
    const colon = userinfo.indexOf(':')
    let username: string | undefined
    let password: string
    try {
      username = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(0, colon))
      password = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(colon + 1))
    } catch {
      throw bad('has a user or token that is not valid percent-encoding')
    }
    if (password === '') throw bad('has no token')
    if (username === '') throw bad('has an empty user (leave out "user:" for the default)')
    const url = scheme + entry.slice(scheme.length + at + 1)
    const problem = credentialPrefixProblem(url)
    if (problem) throw bad(problem)
    return username === undefined ? { url, password } : { url, username, password }
  })
}

function parseInteger(key: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(key, `must be a whole number, got ${JSON.stringify(value)}`)
  return Number(value)
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Objects merge key by key; arrays and scalars from `over` replace those in `base`. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v)
  return out
}

function keyOf(err: ErrorObject): string {
  const parts = err.instancePath.split('/').filter(Boolean)
  if (err.keyword === 'additionalProperties') parts.push(String(err.params.additionalProperty))
  if (err.keyword === 'required') parts.push(String(err.params.missingProperty))
  return parts.length ? parts.join('.') : '(root)'
}

function toConfigError(errors: ErrorObject[]): ConfigError {
  // anyOf/union noise: prefer the most specific message for the deepest path.
  const sorted = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)
  const err = sorted.find((e) => e.keyword !== 'anyOf') ?? sorted[0]
  if (!err) return new ConfigError('(root)', 'invalid')
  const problem =
    err.keyword === 'additionalProperties'
      ? 'unknown key'
      : err.keyword === 'const' || err.keyword === 'anyOf'
        ? `must be one of the allowed values${allowed(errors, err.instancePath)}`
        : (err.message ?? 'invalid')
  return new ConfigError(keyOf(err), problem)
}

function allowed(errors: ErrorObject[], path: string): string {
  const values = errors
    .filter((e) => e.instancePath === path && e.keyword === 'const')
    .map((e) => JSON.stringify(e.params.allowedValue))
  return values.length ? ` (${values.join(', ')})` : ''
}

function checkGlobs(config: Config): void {
  for (const [i, t] of config.tenants.entries())
    for (const [j, g] of t.repositories.entries())
      if (/\s/.test(g)) throw new ConfigError(`tenants.${i}.repositories.${j}`, 'a glob may not contain white space')
}
