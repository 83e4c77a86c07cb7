// Items (jenkinsci/jenkins core/src/main/java/hudson/model/ItemGroupMixIn.java, Jenkins.checkGoodName):
// the folder tree, createItem name checks, and job/folder JSON.
import { buildJson, buildRef, isBuilding } from './builds.js'
import { colorOf, FOLDER, WORKFLOW_JOB } from './colors.js'
import { PARAM_DEFINITION_CLASS, PARAM_VALUE_CLASS, parseJobDefinition, type JobDefinition } from './config-xml.js'
import { fullDisplayName, fullName, itemUrl } from './paths.js'
import type { JenkinsQueue } from './queue.js'
import { LazyList } from './tree.js'
import type { Build, BuildResult, Item } from './types.js'

export function newRoot(): Item {
  const def: JobDefinition = {
    kind: 'folder',
    description: null,
    disabled: false,
    quietPeriod: undefined,
    authToken: undefined,
    concurrentBuild: true,
    parameters: [],
  }
  return { name: '', parent: null, configXml: '', def, children: new Map(), builds: [], nextBuildNumber: 1 }
}

const UNSAFE = '?*/\\%!@#$^&|<>[]:;'

/** Jenkins.checkGoodName; returns the Failure message or undefined. */
export function checkGoodName(name: string | null): string | undefined {
  if (name === null) return "Query parameter 'name' is required"
  if (name.trim() === '') return 'No name is specified'
  for (const c of name) {
    if (c.charCodeAt(0) < 32) return `No control code is allowed: ${c.charCodeAt(0)}`
    if (UNSAFE.includes(c)) return `‘${c}’ is an unsafe character`
  }
  if (name === '.' || name === '..') return `“${name}” is not an allowed name`
  if (name.endsWith('.')) return 'A name cannot end with ‘.’'
  return undefined
}

/** Throws on malformed XML or an unknown root element (→ 500 in the caller). */
export function createItem(parent: Item, name: string, xml: string): Item {
  const def = parseJobDefinition(xml)
  const item: Item = { name, parent, configXml: xml, def, children: new Map(), builds: [], nextBuildNumber: 1 }
  parent.children.set(name, item)
  return item
}

export function updateConfig(item: Item, xml: string): void {
  const def = parseJobDefinition(xml)
  if (def.kind !== item.def.kind) throw new Error(`Expecting ${item.def.kind} but got ${def.kind} instead`)
  item.def = def
  item.configXml = xml
}

const PERMALINKS: Record<string, (b: Build, now: number) => boolean> = {
  lastBuild: () => true,
  lastCompletedBuild: (b, now) => !isBuilding(b, now),
  lastSuccessfulBuild: (b, now) => !isBuilding(b, now) && (b.finalResult === 'SUCCESS' || b.finalResult === 'UNSTABLE'),
  lastStableBuild: (b, now) => !isBuilding(b, now) && b.finalResult === 'SUCCESS',
  lastFailedBuild: (b, now) => !isBuilding(b, now) && b.finalResult === 'FAILURE',
  lastUnstableBuild: (b, now) => !isBuilding(b, now) && b.finalResult === 'UNSTABLE',
  lastUnsuccessfulBuild: (b, now) =>
    !isBuilding(b, now) && (['UNSTABLE', 'FAILURE', 'ABORTED', 'NOT_BUILT'] as BuildResult[]).includes(b.finalResult),
}

export function findBuild(job: Item, ref: string, now: number): Build | undefined {
  if (/^\d+$/.test(ref)) return job.builds.find((b) => b.number === Number(ref))
  if (ref === 'firstBuild') return job.builds[0]
  const pick = PERMALINKS[ref]
  if (!pick) return undefined
  return [...job.builds].reverse().find((b) => pick(b, now))
}

function paramDefinitionsJson(job: Item): Record<string, unknown>[] {
  if (job.def.parameters.length === 0) return []
  return [
    {
      _class: 'hudson.model.ParametersDefinitionProperty',
      parameterDefinitions: job.def.parameters.map((p) => {
        const out: Record<string, unknown> = {
          _class: PARAM_DEFINITION_CLASS[p.type],
          defaultParameterValue:
            p.type === 'password'
              ? { _class: PARAM_VALUE_CLASS[p.type], name: p.name }
              : { _class: PARAM_VALUE_CLASS[p.type], name: p.name, value: p.defaultValue },
          description: p.description,
          name: p.name,
          type: PARAM_DEFINITION_CLASS[p.type].replace('hudson.model.', ''),
        }
        if (p.type === 'choice') out.choices = p.choices
        return out
      }),
    },
  ]
}

export function childRef(item: Item, now: number, root: string): Record<string, unknown> {
  if (item.def.kind === 'folder') return { _class: FOLDER, name: item.name, url: itemUrl(root, item) }
  return { _class: WORKFLOW_JOB, name: item.name, url: itemUrl(root, item), color: colorOf(item, now) }
}

/**
 * `deep`: builds are full objects (for `?tree=builds[...]` or `?depth=1`);
 * otherwise depth 0 shows `{_class, number, url}` references.
 * `allBuilds`: Job.getBuilds() is exported as `allBuilds` with visibility -2, so only a
 * `tree` that names it shows it; `builds` is getNewBuilds() = getBuilds().limit(100), so a
 * range on `builds` never reaches past the newest 100 (jenkinsci/jenkins core/src/main/java/hudson/model/Job.java).
 */
export function jobJson(
  job: Item,
  now: number,
  root: string,
  queue: JenkinsQueue,
  deep = false,
  allBuilds = false,
): Record<string, unknown> {
  const show = (b: Build) => (deep ? buildJson(b, now, root) : buildRef(b, root))
  // Newest first, made only for the range a request asks for.
  const newest = (n: number) => new LazyList(n, (i) => show(job.builds[job.builds.length - 1 - i]!))
  const ref = (name: string) => {
    const b = findBuild(job, name, now)
    return b ? show(b) : null
  }
  const queued = queue.active(now).find((i) => i.job === job)
  return {
    _class: WORKFLOW_JOB,
    actions: [{}, {}, { _class: 'com.cloudbees.plugins.credentials.ViewCredentialsAction' }],
    description: job.def.description,
    displayName: job.name,
    displayNameOrNull: null,
    fullDisplayName: fullDisplayName(job),
    fullName: fullName(job),
    name: job.name,
    url: itemUrl(root, job),
    buildable: !job.def.disabled,
    builds: newest(Math.min(100, job.builds.length)),
    ...(allBuilds ? { allBuilds: newest(job.builds.length) } : {}),
    color: colorOf(job, now),
    firstBuild: ref('firstBuild'),
    healthReport: [],
    inQueue: !!queued,
    keepDependencies: false,
    lastBuild: ref('lastBuild'),
    lastCompletedBuild: ref('lastCompletedBuild'),
    lastFailedBuild: ref('lastFailedBuild'),
    lastStableBuild: ref('lastStableBuild'),
    lastSuccessfulBuild: ref('lastSuccessfulBuild'),
    lastUnstableBuild: ref('lastUnstableBuild'),
    lastUnsuccessfulBuild: ref('lastUnsuccessfulBuild'),
    nextBuildNumber: job.nextBuildNumber,
    property: paramDefinitionsJson(job),
    queueItem: queued ? queue.itemJson(queued, now, root) : null,
    concurrentBuild: job.def.concurrentBuild,
    disabled: job.def.disabled,
    resumeBlocked: false,
  }
}

export function folderJson(folder: Item, now: number, root: string): Record<string, unknown> {
  const isRoot = folder.parent === null
  const url = isRoot ? `${root}/` : itemUrl(root, folder)
  const view = { _class: 'hudson.model.AllView', name: 'All', url }
  const jobs = [...folder.children.values()].map((c) => childRef(c, now, root))
  if (isRoot) {
    return {
      _class: 'hudson.model.Hudson',
      assignedLabels: [{ name: 'built-in' }],
      mode: 'NORMAL',
      nodeDescription: "the Jenkins controller's built-in node",
      nodeName: '',
      numExecutors: 2,
      description: null,
      jobs,
      overallLoad: {},
      primaryView: view,
      quietDownReason: null,
      quietingDown: false,
      slaveAgentPort: -1,
      unlabeledLoad: { _class: 'jenkins.model.UnlabeledLoadStatistics' },
      url,
      useCrumbs: true,
      useSecurity: true,
      views: [view],
    }
  }
  return {
    _class: FOLDER,
    actions: [{}, {}],
    description: folder.def.description,
    displayName: folder.name,
    displayNameOrNull: null,
    fullDisplayName: fullDisplayName(folder),
    fullName: fullName(folder),
    name: folder.name,
    url,
    healthReport: [],
    jobs,
    primaryView: view,
    views: [view],
  }
}
