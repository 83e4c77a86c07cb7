// Jobs from templates: created on first use and by `tamer jobs sync`, inside folders
// where the name has slashes, rewritten only when the template hash changed.
import type { JenkinsApi } from './client.js'
import {
  escapeXml,
  jobNeedsRewrite,
  renderPipelineJobConfigXml,
  templateHash,
  type JobParameter,
} from './job-config.js'
import { loadTemplate, type Template } from './templates.js'

export type ProvisionOutcome = 'created' | 'updated' | 'unchanged'

const folderXml = (name: string) => `<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder">
  <description>${escapeXml(`Created by Tamer for ${name}`)}</description>
  <properties/>
</com.cloudbees.hudson.plugins.folder.Folder>
`

/**
 * What a job's parameters hold for its repository (issue #14): BRANCH as a choice list of the live
 * branches (Jenkins' own ChoiceParameterDefinition, the first choice its default: no plugin), and
 * the defaults a build started by hand needs (REPO_URL, PROVIDER, CALLBACK_URL).
 */
export interface JobContext {
  branches: readonly string[]
  defaults: Readonly<Record<string, string>>
}

/** The template's parameters, with a job context applied. */
export function jobParameters(template: Pick<Template, 'parameters'>, ctx?: JobContext): JobParameter[] {
  return template.parameters.map((p) => {
    if (!ctx) return p
    if (p.name === 'BRANCH' && ctx.branches.length > 0)
      return {
        ...p,
        type: 'choice',
        choices: [...ctx.branches],
        default: ctx.branches[0],
        description: 'Branch to build: the default branch first, then the most recently pushed (kept by Tamer)',
      }
    const d = ctx.defaults[p.name]
    return d === undefined ? p : { ...p, default: d }
  })
}

export function jobXml(template: Template, job: string, ctx?: JobContext): string {
  return renderPipelineJobConfigXml({
    script: template.script,
    parameters: jobParameters(template, ctx),
    description: `Managed by Tamer from jenkinsfiles/${template.name}.Jenkinsfile (job ${job}); edits here are overwritten.`,
  })
}

export interface Provisioner {
  /**
   * Makes sure the job exists with the template's current config. Cached: a job checked once is not checked again until
   * `forget`.
   */
  ensure(job: string, templateName: string, ctx?: JobContext): Promise<ProvisionOutcome>
  /** Always asks Jenkins (used by `tamer jobs sync`, after a 404, and when a repository's branches change). */
  sync(job: string, templateName: string, ctx?: JobContext): Promise<ProvisionOutcome>
  forget(job: string): void
  /** Neither checked by this provisioner yet nor being checked: its first ensure talks to Jenkins. */
  unseen(job: string): boolean
}

export function createProvisioner(api: JenkinsApi, templatesDir?: string): Provisioner {
  const templates = new Map<string, Template>()
  const template = (name: string) => {
    let t = templates.get(name)
    if (!t) templates.set(name, (t = loadTemplate(name, templatesDir)))
    return t
  }
  /** job → template it was verified against */
  const verified = new Map<string, string>()
  const inFlight = new Map<string, Promise<ProvisionOutcome>>()

  const folderFlights = new Map<string, Promise<void>>()

  /**
   * Creates `item`, or returns its config when Jenkins refuses because another replica created it since we looked
   * (issue #16: two replicas' first triggers of a job; the refused one waited for a retry and held its job's later
   * builds behind it). Rethrows when the item is still missing.
   */
  async function createOrFind(item: string, xml: string): Promise<string | null> {
    try {
      await api.createItem(item, xml)
      return null
    } catch (err) {
      const found = await api.getConfig(item).catch(() => null)
      if (found === null) throw err
      return found
    }
  }

  // Jobs provisioned at once share their folders: one check and create per folder, or every
  // job but the first gets Jenkins' 400 "already exists" and waits for a retry (issue #9, item 8).
  // `look`: the folder's config (null: missing), from a look-up already under way.
  function ensureFolder(folder: string, look: () => Promise<string | null>): Promise<void> {
    let p = folderFlights.get(folder)
    if (!p) {
      p = (async () => {
        if ((await look()) === null) await createOrFind(folder, folderXml(folder))
        verified.set(folder, '(folder)')
      })().finally(() => folderFlights.delete(folder))
      folderFlights.set(folder, p)
    }
    return p
  }

  /**
   * The job's config and its folders', looked up at once: one round trip to Jenkins, not one per folder and then
   * the job's (the first burst of a new job waited for six in a row, each a turn of a busy event loop, issue #12).
   * The folders missing are then created from the top down.
   */
  async function lookUp(job: string): Promise<string | null> {
    const parts = job.split('/')
    const folders = parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'))
    const looks = new Map<string, Promise<string | null>>()
    for (const f of folders) if (!verified.has(f) && !folderFlights.has(f)) looks.set(f, api.getConfig(f))
    const current = api.getConfig(job)
    // Every look-up is awaited below unless one before it failed: a rejection left unawaited would end the process.
    for (const look of [...looks.values(), current]) look.catch(() => {})
    for (const f of folders) if (!verified.has(f)) await ensureFolder(f, () => looks.get(f) ?? api.getConfig(f))
    return current
  }

  /** What a job was verified against: the template and the hash of its parameters (choices included). */
  const signature = (t: Template, ctx?: JobContext) => {
    // Asked on every trigger: hashing the template's script each time was a JSON copy of it per build (issue #12).
    const key = `${t.name}\n${ctx ? JSON.stringify(ctx) : ''}`
    let s = signatures.get(key)
    if (s === undefined) {
      s = `${t.name}:${templateHash({ script: t.script, parameters: jobParameters(t, ctx) })}`
      if (signatures.size >= 10_000) signatures.clear()
      signatures.set(key, s)
    }
    return s
  }
  const signatures = new Map<string, string>()

  // One conversation with Jenkins per job at a time: a trigger's ensure and a rewrite of the branch
  // choices (issue #14) both found no job and both created it, and the second got 400 "already exists".
  const jobChains = new Map<string, Promise<unknown>>()
  function oneAtATime(job: string, work: () => Promise<ProvisionOutcome>): Promise<ProvisionOutcome> {
    const p = (jobChains.get(job) ?? Promise.resolve()).then(work)
    const tail = p.catch(() => {})
    jobChains.set(job, tail)
    void tail.then(() => {
      if (jobChains.get(job) === tail) jobChains.delete(job)
    })
    return p
  }

  async function syncNow(job: string, templateName: string, ctx?: JobContext): Promise<ProvisionOutcome> {
    const t = template(templateName)
    let current = await lookUp(job)
    const wanted = { script: t.script, parameters: jobParameters(t, ctx) }
    let outcome: ProvisionOutcome = 'unchanged'
    if (current === null) current = await createOrFind(job, jobXml(t, job, ctx))
    if (current === null) outcome = 'created'
    else if (jobNeedsRewrite(current, wanted)) {
      await api.updateConfig(job, jobXml(t, job, ctx))
      outcome = 'updated'
    }
    verified.set(job, signature(t, ctx))
    return outcome
  }

  return {
    ensure(job, templateName, ctx) {
      if (verified.get(job) === signature(template(templateName), ctx)) return Promise.resolve('unchanged')
      let p = inFlight.get(job)
      if (!p) {
        const wanted = signature(template(templateName), ctx)
        p = oneAtATime(job, async () =>
          verified.get(job) === wanted ? 'unchanged' : syncNow(job, templateName, ctx),
        ).finally(() => inFlight.delete(job))
        inFlight.set(job, p)
      }
      return p
    },
    sync: (job, templateName, ctx) => oneAtATime(job, () => syncNow(job, templateName, ctx)),
    unseen: (job) => !verified.has(job) && !inFlight.has(job) && !jobChains.has(job),
    forget(job) {
      for (const k of [...verified.keys()]) if (k === job || job.startsWith(`${k}/`)) verified.delete(k)
    },
  }
}
