// What the emulator reads from a posted config.xml (a workflow-job flow-definition). Only the
// parameters declared in ParametersDefinitionProperty make a job
// parameterized — a Jenkinsfile `parameters {}` block does not (https://issues.jenkins.io/browse/JENKINS-41929).
import { child, childText, parseXml, type XmlElement } from './xml.js'

export type ParamType = 'string' | 'text' | 'boolean' | 'choice' | 'password'

export interface ParamDefinition {
  type: ParamType
  name: string
  description: string
  defaultValue: string | boolean
  choices: string[]
  trim: boolean
}

export type ItemKind = 'pipeline' | 'folder'

export interface JobDefinition {
  kind: ItemKind
  description: string | null
  disabled: boolean
  /** seconds; undefined = the global quiet period */
  quietPeriod: number | undefined
  authToken: string | undefined
  concurrentBuild: boolean
  parameters: ParamDefinition[]
}

export const ROOT_ELEMENTS: Record<string, ItemKind> = {
  'flow-definition': 'pipeline',
  'com.cloudbees.hudson.plugins.folder.Folder': 'folder',
}

const PARAM_CLASSES: Record<string, ParamType> = {
  'hudson.model.StringParameterDefinition': 'string',
  'hudson.model.TextParameterDefinition': 'text',
  'hudson.model.BooleanParameterDefinition': 'boolean',
  'hudson.model.ChoiceParameterDefinition': 'choice',
  'hudson.model.PasswordParameterDefinition': 'password',
}

export const PARAM_DEFINITION_CLASS: Record<ParamType, string> = {
  string: 'hudson.model.StringParameterDefinition',
  text: 'hudson.model.TextParameterDefinition',
  boolean: 'hudson.model.BooleanParameterDefinition',
  choice: 'hudson.model.ChoiceParameterDefinition',
  password: 'hudson.model.PasswordParameterDefinition',
}

export const PARAM_VALUE_CLASS: Record<ParamType, string> = {
  string: 'hudson.model.StringParameterValue',
  text: 'hudson.model.TextParameterValue',
  boolean: 'hudson.model.BooleanParameterValue',
  choice: 'hudson.model.StringParameterValue',
  password: 'hudson.model.PasswordParameterValue',
}

export class UnknownRootElementError extends Error {}

/**
 * Both serialisations of ChoiceParameterDefinition.choices: an Arrays$ArrayList from the choices text,
 * a plain list from a List (jenkinsci/jenkins core/src/main/java/hudson/model/ChoiceParameterDefinition.java).
 */
function readChoices(el: XmlElement | undefined): string[] {
  const choices = child(el, 'choices')
  if (!choices) return []
  const arr = child(choices, 'a')
  const holder = arr ?? choices
  return holder.children.filter((c) => c.name === 'string').map((c) => c.text)
}

function readParam(el: XmlElement): ParamDefinition | undefined {
  const type = PARAM_CLASSES[el.name]
  if (!type) return undefined
  const name = childText(el, 'name') ?? ''
  const description = childText(el, 'description') ?? ''
  const choices = type === 'choice' ? readChoices(el) : []
  const rawDefault = childText(el, 'defaultValue')
  let defaultValue: string | boolean
  if (type === 'boolean') defaultValue = (rawDefault ?? '').trim().toLowerCase() === 'true'
  else if (type === 'choice') defaultValue = choices[0] ?? ''
  else defaultValue = rawDefault ?? ''
  return { type, name, description, defaultValue, choices, trim: childText(el, 'trim') === 'true' }
}

export function parseJobDefinition(xml: string): JobDefinition {
  const root = parseXml(xml)
  const kind = ROOT_ELEMENTS[root.name]
  if (!kind) throw new UnknownRootElementError(`No such class: ${root.name}`)
  const props = child(root, 'properties')
  const pdp = child(props, 'hudson.model.ParametersDefinitionProperty')
  const defs = child(pdp, 'parameterDefinitions')
  const parameters = (defs?.children ?? []).map(readParam).filter((p): p is ParamDefinition => !!p)
  const qp = childText(root, 'quietPeriod')
  return {
    kind,
    description: childText(root, 'description') ?? null,
    disabled: childText(root, 'disabled')?.trim() === 'true',
    quietPeriod: qp !== undefined && /^\d+$/.test(qp.trim()) ? Number(qp.trim()) : undefined,
    authToken: childText(root, 'authToken'),
    concurrentBuild: !child(props, 'org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty'),
    parameters,
  }
}
