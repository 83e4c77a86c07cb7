// The Pipeline `input` step, as Jenkins implements it (facts and sources: input-facts.md beside this file):
// a build reaching the step pauses (still building) until a POST to `<build>/input/<ID>/proceedEmpty`
// or `<build>/input/<ID>/abort` settles it; `<build>/wfapi/pendingInputActions` lists the pending ones.
import { endBuild, endChanged } from './builds.js'
import { itemUrl } from './paths.js'
import type { Build, InputScenario } from './types.js'

/** InputStep.setId: `capitalize(id)` (jenkinsci/pipeline-input-step-plugin InputStep.java). */
export const inputIdOf = (id: string) => id.charAt(0).toUpperCase() + id.slice(1)

/** Holds back what the build logs after the step and keeps it building until the step is settled. */
export function pauseAtInput(b: Build, s: InputScenario): void {
  const at = b.startedAt + (s.atMs ?? 0)
  if (!Number.isFinite(b.endAt) || b.endAt <= at) return
  const held = b.log.filter((l) => l.at > at).map((l) => ({ offset: l.at - at, text: l.text }))
  const message = s.message
  const ok = s.ok ?? 'Proceed'
  b.log = [
    ...b.log.filter((l) => l.at <= at),
    { at, text: '[Pipeline] input' },
    { at, text: message },
    { at, text: `${ok} or Abort` },
  ]
  b.input = {
    id: inputIdOf(s.id),
    message,
    ok,
    submitter: s.submitter ?? null,
    at,
    held,
    remainingMs: b.endAt - at,
    outcome: null,
  }
  b.endAt = Infinity
  endChanged()
}

export function pendingInput(b: Build, now: number): Build['input'] | undefined {
  const i = b.input
  return i && i.outcome === null && now >= i.at && !Number.isFinite(b.endAt) ? i : undefined
}

/**
 * PendingInputActionsExt.create (jenkinsci/pipeline-stage-view-plugin rest-api/…/external/PendingInputActionsExt.java):
 * URLs are the run's URL without the host (`/jenkins/job/x/1/…` under a context path).
 */
export function pendingInputActionsJson(b: Build, now: number, root: string): Record<string, unknown>[] {
  const i = pendingInput(b, now)
  if (!i) return []
  const runUrl = `${new URL(itemUrl(root, b.job)).pathname}${b.number}/`
  const id = encodeURIComponent(i.id)
  return [
    {
      id: i.id,
      proceedText: i.ok,
      message: i.message,
      inputs: [],
      proceedUrl: `${runUrl}wfapi/inputSubmit?inputId=${id}`,
      abortUrl: `${runUrl}input/${id}/abort`,
      redirectApprovalUrl: `${runUrl}input/`,
    },
  ]
}

/**
 * InputStepExecution.canSettle: the submitter list split on commas, each trimmed, compared with the
 * user id case-insensitively (the default IdStrategy); without a submitter, Job/Build decides.
 */
export function canSubmit(i: NonNullable<Build['input']>, userId: string | null, hasBuild: boolean): boolean {
  if (i.submitter === null) return hasBuild
  if (userId === null) return false
  return i.submitter.split(',').some((s) => s.trim().toLowerCase() === userId.toLowerCase())
}

/** doProceedEmpty: "Approved by", then the rest of the build runs. */
export function proceed(b: Build, now: number, by: { id: string; fullName: string }): void {
  const i = b.input!
  i.outcome = { kind: 'proceed', by: by.id, at: now }
  b.log.push({ at: now, text: `Approved by ${by.fullName}` })
  b.log.push(...i.held.map((l) => ({ at: now + l.offset, text: l.text })))
  b.endAt = now + i.remainingMs
  endChanged()
}

/** doAbort: a FlowInterruptedException with a Rejection: the build ends ABORTED. */
export function abort(b: Build, now: number, by: { id: string; fullName: string }): void {
  const i = b.input!
  i.outcome = { kind: 'abort', by: by.id, at: now }
  b.endAt = now + 1
  endChanged()
  endBuild(b, now, 'ABORTED', `Rejected by ${by.fullName}`)
}
