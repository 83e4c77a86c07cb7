// Secrets from files: every secret-bearing variable also takes a `*_FILE` form naming a file that
// holds the value, as Kubernetes mounts a Secret as files and Docker does with `secrets:`
// (https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod).
// The value then never sits in the process environment, where `ps e`, crash dumps and child
// processes can read it.
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'

/** The variables that carry secrets; each also accepts `<name>_FILE`. */
export const SECRET_ENV = [
  'TAMER_GITHUB_SECRET',
  'TAMER_GITLAB_TOKEN',
  'TAMER_GITLAB_SIGNING_TOKEN',
  'TAMER_BITBUCKET_SECRET',
  'TAMER_API_TOKEN',
  'TAMER_LINK_SECRET',
  'TAMER_SESSION_SECRET',
  'TAMER_METRICS_TOKEN',
  'TAMER_JENKINS_TOKEN',
  'TAMER_JENKINS_CALLBACK_SECRET',
  'TAMER_SMTP_URL',
  'TAMER_DATABASE_URL',
  'TAMER_SMTP_PASSWORD',
  'TAMER_GIT_CREDENTIALS',
  'TAMER_MASTER_KEY',
  'TAMER_MASTER_KEY_OLD',
] as const

export type SecretEnvName = (typeof SECRET_ENV)[number]

/**
 * The value of a secret variable, from `name` or from the file `name_FILE` names (one trailing
 * newline dropped, as `echo` and editors leave one). Both set is an error: which one wins would
 * be a guess. Errors name the variable and the path, never the content.
 */
export function secretEnv(env: NodeJS.ProcessEnv, name: SecretEnvName): string | undefined {
  const fileVar = `${name}_FILE`
  const path = env[fileVar]
  if (path === undefined || path === '') return env[name]
  if (env[name] !== undefined) throw new ConfigError(fileVar, `set either ${name} or ${fileVar}, not both`)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(fileVar, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  const value = text.replace(/\r?\n$/, '')
  if (value.trim() === '') throw new ConfigError(fileVar, `${path} is empty`)
  return value
}

/** The environment with every `*_FILE` secret read into its plain variable. */
export function withSecretFiles(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env }
  for (const name of SECRET_ENV) {
    const value = secretEnv(env, name)
    delete out[`${name}_FILE`]
    if (value === undefined) delete out[name]
    else out[name] = value
  }
  return out
}
