// The shared Jenkinsfile templates in jenkinsfiles/ and the parameters each
// template's job declares. The parameter lists here are the job config side of
// the wiring; test/jenkins/templates.test.ts checks them against each
// template's own `parameters {}` block (which Jenkins applies after a first run).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { JobParameter } from './job-config.js'
import { JobTemplateError } from '../errors.js'

export const TEMPLATE_SUFFIX = '.Jenkinsfile'

/** Every template declares these; the service fills them for every trigger. */
export const COMMON_PARAMETERS: readonly JobParameter[] = [
  { name: 'REPO_URL', type: 'string', default: '', description: 'Clone URL of the repository' },
  { name: 'BRANCH', type: 'string', default: '', description: 'Branch the push or pull request is about' },
  { name: 'COMMIT_SHA', type: 'string', default: '', description: 'Exact commit to build (not the branch tip)' },
  { name: 'PROVIDER', type: 'string', default: '', description: 'github, gitlab, bitbucket-cloud or bitbucket-server' },
  {
    name: 'DELIVERY_ID',
    type: 'string',
    default: '',
    description:
      'The Tamer delivery id (not the git host GUID), .N for later events of a delivery; unique per build request so Jenkins does not fold two pushes into one queue item',
  },
  { name: 'DIFF_URL', type: 'string', default: '', description: 'Tamer page with the notebook-aware diff' },
  {
    name: 'THRESHOLDS',
    type: 'string',
    default: '{}',
    description: 'JSON object: metric name to minimum value (or {"min":x,"max":y})',
  },
  { name: 'CALLBACK_URL', type: 'string', default: '', description: 'Tamer endpoint that receives the build result' },
  {
    name: 'GIT_CREDENTIALS_ID',
    type: 'string',
    default: '',
    description: 'Jenkins credential used to clone (empty for public repositories)',
  },
]

const DATA_SCIENCE_PARAMETERS: readonly JobParameter[] = [
  {
    name: 'METRICS_FILE',
    type: 'string',
    default: 'metrics.json',
    description: 'Metrics JSON written by the repository evaluation',
  },
  {
    name: 'DEPLOY_ENVIRONMENT',
    type: 'string',
    default: 'production',
    description: "Environment the deploy stage signs off and deploys to (with Tamer: .tamer.yml's signoff.<name>)",
  },
  {
    name: 'SIGNOFF_SUBMITTERS',
    type: 'string',
    default: '',
    description: 'Without Tamer: users/groups allowed to approve a deployment (comma separated)',
  },
  {
    name: 'DOCKER_IMAGE',
    type: 'string',
    default: '',
    description: 'Image to build and push (registry/name); empty skips the image',
  },
  {
    name: 'DOCKER_CREDENTIALS_ID',
    type: 'string',
    default: 'docker-registry',
    description: 'Jenkins username/password credential for the registry',
  },
  {
    name: 'K8S_NAMESPACE',
    type: 'string',
    default: '',
    description: 'Namespace to deploy k8s/ manifests into; empty skips deployment',
  },
  {
    name: 'KUBECONFIG_CREDENTIALS_ID',
    type: 'string',
    default: 'kubeconfig',
    description: 'Jenkins secret-file credential holding a kubeconfig',
  },
]

const PARAMETERS_BY_TEMPLATE: Record<string, readonly JobParameter[]> = {
  'data-science': [...COMMON_PARAMETERS, ...DATA_SCIENCE_PARAMETERS],
  'tests-only': COMMON_PARAMETERS,
}

/** Parameters the job config for this template declares. */
export function templateParameters(name: string): JobParameter[] {
  const list = PARAMETERS_BY_TEMPLATE[name]
  if (!list)
    throw new JobTemplateError(
      `template ${name} has no parameter list in Tamer (it knows ${Object.keys(PARAMETERS_BY_TEMPLATE).join(', ')})`,
    )
  return list.map((p) => ({ ...p }))
}

/** jenkinsfiles/ of the project: found upwards from this module (works from src/ and dist/). */
export function defaultTemplatesDir(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'jenkinsfiles')
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate
    if (dirname(dir) === dir) throw new JobTemplateError(`no jenkinsfiles/ directory above ${from}`)
  }
}

export interface Template {
  name: string
  file: string
  script: string
  parameters: JobParameter[]
}

export function listTemplates(dir = defaultTemplatesDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(TEMPLATE_SUFFIX))
    .map((f) => f.slice(0, -TEMPLATE_SUFFIX.length))
    .sort()
}

export function loadTemplate(name: string, dir = defaultTemplatesDir()): Template {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new JobTemplateError(`invalid template name ${JSON.stringify(name)} (lower-case letters, digits and -)`)
  const file = join(dir, `${name}${TEMPLATE_SUFFIX}`)
  let script: string
  try {
    script = readFileSync(file, 'utf8')
  } catch (err) {
    throw new JobTemplateError(`cannot read template ${name}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  return { name, file, script, parameters: templateParameters(name) }
}
