// Jobs from templates: created on first use and by `tamer jobs sync`, inside folders
// where the name has slashes, rewritten only when the template hash changed.
import type { JenkinsApi } from './client.js'
import { escapeXml, jobNeedsRewrite, renderPipelineJobConfigXml } from './job-config.js'
import { loadTemplate, type Template } from './templates.js'

export type ProvisionOutcome = 'created' | 'updated' | 'unchanged'

const folderXml = (name: string) => `<?xml version='1.1' encoding='UTF-8'?>
<com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder">
  <description>${escapeXml(`Created by Tamer for ${name}`)}</description>
  <properties/>
</com.cloudbees.hudson.plugins.folder.Folder>
`

export function jobXml(template: Template, job: string): string {
  return renderPipelineJobConfigXml({
    script: template.script,
    parameters: template.parameters,
    description: `Managed by Tamer from jenkinsfiles/${template.name}.Jenkinsfile (job ${job}); edits here are overwritten.`,
  })
}

export interface Provisioner {
  /**
   * Makes sure the job exists with the template's current config. Cached: a job checked once is not checked again until
   * `forget`.
   */
  ensure(job: string, templateName: string): Promise<ProvisionOutcome>
  /** Always asks Jenkins (used by `tamer jobs sync` and after a 404). */
  sync(job: string, templateName: string): Promise<ProvisionOutcome>
  forget(job: string): void
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

  // Jobs provisioned at once share their folders: one check and create per folder, or every
  // job but the first gets Jenkins' 400 "already exists" and waits for a retry (issue #9, item 8).
  function ensureFolder(folder: string): Promise<void> {
    let p = folderFlights.get(folder)
    if (!p) {
      p = (async () => {
        if ((await api.getConfig(folder)) === null) await api.createItem(folder, folderXml(folder))
        verified.set(folder, '(folder)')
      })().finally(() => folderFlights.delete(folder))
      folderFlights.set(folder, p)
    }
    return p
  }

  async function ensureFolders(job: string): Promise<void> {
    const parts = job.split('/')
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/')
      if (!verified.has(folder)) await ensureFolder(folder)
    }
  }

  async function sync(job: string, templateName: string): Promise<ProvisionOutcome> {
    const t = template(templateName)
    await ensureFolders(job)
    const current = await api.getConfig(job)
    let outcome: ProvisionOutcome = 'unchanged'
    if (current === null) {
      await api.createItem(job, jobXml(t, job))
      outcome = 'created'
    } else if (jobNeedsRewrite(current, t)) {
      await api.updateConfig(job, jobXml(t, job))
      outcome = 'updated'
    }
    verified.set(job, templateName)
    return outcome
  }

  return {
    ensure(job, templateName) {
      if (verified.get(job) === templateName) return Promise.resolve('unchanged')
      let p = inFlight.get(job)
      if (!p) {
        p = sync(job, templateName).finally(() => inFlight.delete(job))
        inFlight.set(job, p)
      }
      return p
    },
    sync,
    forget(job) {
      for (const k of [...verified.keys()]) if (k === job || job.startsWith(`${k}/`)) verified.delete(k)
    },
  }
}
