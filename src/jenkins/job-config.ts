// Pipeline job config.xml for the shared Jenkinsfile templates (the
// flow-definition of https://github.com/jenkinsci/workflow-job-plugin WorkflowJob, CpsFlowDefinition).
// Parameters live in the job's ParametersDefinitionProperty, not only in the
// Jenkinsfile: a Jenkinsfile `parameters {}` block only takes effect after the
// first run, so the first buildWithParameters of a fresh job would fail
// (https://issues.jenkins.io/browse/JENKINS-41929).
import { createHash } from 'node:crypto'
import { JobTemplateError } from '../errors.js'

export type JobParameterType = 'string' | 'text' | 'boolean' | 'choice'

export interface JobParameter {
  name: string
  type: JobParameterType
  default?: string | boolean
  description?: string
  /** choice only; the first choice is Jenkins' default */
  choices?: string[]
}

export interface PipelineJobConfig {
  script: string
  parameters: JobParameter[]
  description: string
}

const CLASS: Record<JobParameterType, string> = {
  string: 'hudson.model.StringParameterDefinition',
  text: 'hudson.model.TextParameterDefinition',
  boolean: 'hudson.model.BooleanParameterDefinition',
  choice: 'hudson.model.ChoiceParameterDefinition',
}
const TYPE_OF_CLASS = Object.fromEntries(Object.entries(CLASS).map(([t, c]) => [c, t])) as Record<
  string,
  JobParameterType
>

const HASH_MARK = 'tamer-template-sha256:'
const HASH_RE = /tamer-template-sha256:([0-9a-f]{64})/

/** XML 1.1 text/attribute escaping; NUL cannot be represented at all. */
export function escapeXml(s: string): string {
  if (s.includes('\0'))
    throw new JobTemplateError('NUL characters cannot be written to config.xml (is a template file binary?)')
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  )
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16))
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10))
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e] ?? ''
  })
}

function validate(parameters: JobParameter[]): void {
  const seen = new Set<string>()
  for (const p of parameters) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name))
      throw new Error(
        `bug in a template's parameters (src/jenkins/templates.ts): invalid parameter name ${JSON.stringify(p.name)}`,
      )
    if (seen.has(p.name))
      throw new Error(`bug in a template's parameters (src/jenkins/templates.ts): duplicate parameter ${p.name}`)
    seen.add(p.name)
    if (p.type === 'choice') {
      if (!p.choices?.length)
        throw new Error(
          `bug in a template's parameters (src/jenkins/templates.ts): choice parameter ${p.name} needs choices`,
        )
      if (p.default !== undefined && !p.choices.includes(String(p.default))) {
        throw new Error(
          `bug in a template's parameters (src/jenkins/templates.ts): default ${String(p.default)} of ${p.name} is not one of its choices`,
        )
      }
    }
  }
}

/** sha256 over the template text and its parameter definitions (not the description). */
export function templateHash(input: { script: string; parameters: JobParameter[] }): string {
  const canonical = JSON.stringify({
    script: input.script,
    parameters: input.parameters.map((p) => [p.name, p.type, p.default ?? null, p.description ?? '', p.choices ?? []]),
  })
  return createHash('sha256').update(canonical).digest('hex')
}

/** The description Jenkins shows, with the hash appended so a sync can tell whether the job changed. */
export function describedWithHash(description: string, hash: string): string {
  return `${description.trimEnd()}\n\n${HASH_MARK}${hash}`
}

function renderParameter(p: JobParameter, pad: string): string {
  const cls = CLASS[p.type]
  const lines = [
    `${pad}<${cls}>`,
    `${pad}  <name>${escapeXml(p.name)}</name>`,
    `${pad}  <description>${escapeXml(p.description ?? '')}</description>`,
  ]
  if (p.type === 'choice') {
    const choices = p.choices ?? []
    const first =
      p.default === undefined ? choices : [String(p.default), ...choices.filter((c) => c !== String(p.default))]
    lines.push(`${pad}  <choices class="java.util.Arrays$ArrayList">`, `${pad}    <a class="string-array">`)
    for (const c of first) lines.push(`${pad}      <string>${escapeXml(c)}</string>`)
    lines.push(`${pad}    </a>`, `${pad}  </choices>`)
  } else if (p.type === 'boolean') {
    lines.push(`${pad}  <defaultValue>${p.default === true || p.default === 'true' ? 'true' : 'false'}</defaultValue>`)
  } else {
    lines.push(`${pad}  <defaultValue>${escapeXml(String(p.default ?? ''))}</defaultValue>`)
    if (p.type === 'string') lines.push(`${pad}  <trim>true</trim>`)
  }
  lines.push(`${pad}</${cls}>`)
  return lines.join('\n')
}

export function renderPipelineJobConfigXml(cfg: PipelineJobConfig): string {
  validate(cfg.parameters)
  const hash = templateHash(cfg)
  const properties =
    cfg.parameters.length === 0
      ? '  <properties/>'
      : [
          '  <properties>',
          '    <hudson.model.ParametersDefinitionProperty>',
          '      <parameterDefinitions>',
          ...cfg.parameters.map((p) => renderParameter(p, '        ')),
          '      </parameterDefinitions>',
          '    </hudson.model.ParametersDefinitionProperty>',
          '  </properties>',
        ].join('\n')
  return [
    "<?xml version='1.1' encoding='UTF-8'?>",
    '<flow-definition plugin="workflow-job">',
    `  <description>${escapeXml(describedWithHash(cfg.description, hash))}</description>`,
    '  <keepDependencies>false</keepDependencies>',
    properties,
    '  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">',
    `    <script>${escapeXml(cfg.script)}</script>`,
    '    <sandbox>true</sandbox>',
    '  </definition>',
    '  <triggers/>',
    '  <disabled>false</disabled>',
    '</flow-definition>',
    '',
  ].join('\n')
}

export interface ParsedJobConfig {
  rootElement: string
  description: string | null
  templateHash: string | null
  parameters: { name: string; type: JobParameterType | 'other' }[]
  script: string | null
  sandbox: boolean
}

/** Reads back what a sync needs from any Pipeline config.xml (ours or re-serialised by Jenkins). */
export function parseJobConfigXml(xml: string): ParsedJobConfig {
  const body = xml.replace(/<\?xml[\s\S]*?\?>/, '').replace(/<!--[\s\S]*?-->/g, '')
  const root = /<([\w.:$-]+)[\s>/]/.exec(body)?.[1] ?? ''
  const head = body.split(/<properties[\s>/]|<definition[\s>]/)[0] ?? ''
  const descMatch = /<description>([\s\S]*?)<\/description>/.exec(head)
  const description = descMatch ? unescapeXml(descMatch[1] ?? '') : null
  const defsBlock = /<parameterDefinitions>([\s\S]*?)<\/parameterDefinitions>/.exec(body)?.[1] ?? ''
  const parameters: ParsedJobConfig['parameters'] = []
  for (const m of defsBlock.matchAll(/<([\w.$]+ParameterDefinition)(?:\s[^>]*)?>([\s\S]*?)<\/\1>/g)) {
    const name = /<name>([\s\S]*?)<\/name>/.exec(m[2] ?? '')?.[1]
    if (name !== undefined) parameters.push({ name: unescapeXml(name), type: TYPE_OF_CLASS[m[1] ?? ''] ?? 'other' })
  }
  const script = /<script>([\s\S]*?)<\/script>/.exec(body)?.[1]
  return {
    rootElement: root,
    description,
    templateHash: description ? (HASH_RE.exec(description)?.[1] ?? null) : null,
    parameters,
    script: script === undefined ? null : unescapeXml(script),
    sandbox: /<sandbox>\s*true\s*<\/sandbox>/.test(body),
  }
}

/** A job is rewritten only when the template or its parameters changed. */
export function jobNeedsRewrite(
  currentXml: string | null,
  wanted: { script: string; parameters: JobParameter[] },
): boolean {
  if (currentXml === null) return true
  return parseJobConfigXml(currentXml).templateHash !== templateHash(wanted)
}
