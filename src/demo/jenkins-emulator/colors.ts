import { isBuilding } from './builds.js'
import type { Item } from './types.js'
import { RESULT_COLOR } from './types.js'

export const WORKFLOW_JOB = 'org.jenkinsci.plugins.workflow.job.WorkflowJob'
export const FOLDER = 'com.cloudbees.hudson.plugins.folder.Folder'

/** Ball colour: last completed result, `_anime` while a build runs (core hudson/model/Result.java, BallColor.java). */
export function colorOf(job: Item, now: number): string {
  if (job.def.disabled) return 'disabled'
  const building = job.builds.some((b) => isBuilding(b, now))
  const done = [...job.builds].reverse().find((b) => !isBuilding(b, now))
  const base = done ? RESULT_COLOR[done.finalResult] : 'notbuilt'
  return building ? `${base}_anime` : base
}
