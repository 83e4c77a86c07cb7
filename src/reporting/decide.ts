// What a build's commit status says now (issue #13). `rank` orders a build's states, so with the
// build's sequence it makes the entry's version: a later state (or a later build of the same
// commit and rule) always outranks an earlier one, and an older update arriving late is dropped.
// Never stuck pending: every end a build can come to maps to a final state, and an active build
// older than reporting.timeoutHours is `error` ("timed out").
import type { CommitState } from '../providers/outbound.js'
import type { BuildRecord } from '../store/builds.js'

export interface StatusDecision {
  state: CommitState
  description: string
  /** 1 planned, 2 queued, 3 running, 4 timed out, 5 ended. */
  rank: number
}

const RANKS = 8

/** The version of a build's status entry: the build's sequence, then how far it went. */
export function statusVersion(b: BuildRecord, rank: number): number {
  return b.seq * RANKS + rank
}

/**
 * The shortest limit of a status description among the hosts (GitHub's 140; GitLab and Bitbucket take 255):
 * a description is made to fit it, the failed test cut first, so every host shows the same words.
 */
export const DESCRIPTION_BUDGET = 140

function testsLine(b: BuildRecord): string {
  const t = b.tests
  if (!t) return ''
  return t.failed > 0 ? `; ${t.failed} of ${t.total} tests failed` : `; ${t.total} tests passed`
}

/** `base`, then the first failed test of the JUnit report and its error line, within DESCRIPTION_BUDGET. */
function withFirstFailure(base: string, b: BuildRecord): string {
  const f = b.tests?.failures?.[0]
  if (!f) return base
  const more = (b.tests?.failed ?? 0) > 1 ? ` (+${(b.tests?.failed ?? 0) - 1} more)` : ''
  const room = DESCRIPTION_BUDGET - base.length - more.length - 2
  if (room < 12) return base
  const text = f.error ? `${f.name}: ${f.error}` : f.name
  return `${base}: ${text.length <= room ? text : `${text.slice(0, room - 1)}…`}${more}`
}

/** null: nothing to post (Jenkins not configured: the build is only recorded). */
export function statusOf(b: BuildRecord, now: number, timeoutMs: number): StatusDecision | null {
  const job = b.job
  switch (b.state) {
    case 'not-triggered':
      return null
    case 'finished': {
      const r = (b.result ?? '').toUpperCase()
      const stage = b.failingStage ? ` at stage ${b.failingStage}` : ''
      if (r === 'SUCCESS') return { state: 'success', description: `Passed${testsLine(b)}`, rank: 5 }
      if (r === 'UNSTABLE')
        return { state: 'failure', description: withFirstFailure(`Unstable${stage}${testsLine(b)}`, b), rank: 5 }
      if (r === 'FAILURE')
        return { state: 'failure', description: withFirstFailure(`Failed${stage}${testsLine(b)}`, b), rank: 5 }
      if (r === 'ABORTED') return { state: 'cancelled', description: 'Cancelled: aborted in Jenkins', rank: 5 }
      return { state: 'error', description: `Jenkins ended the build with ${r || 'no result'}`, rank: 5 }
    }
    case 'cancelled':
      return { state: 'cancelled', description: "Cancelled in Jenkins' queue", rank: 5 }
    case 'lost':
      return { state: 'error', description: `Jenkins lost the build${b.lastError ? `: ${b.lastError}` : ''}`, rank: 5 }
    case 'refused':
      return { state: 'error', description: `Jenkins refused the job${b.lastError ? `: ${b.lastError}` : ''}`, rank: 5 }
    default:
      break
  }
  if (now - b.acceptedAt >= timeoutMs) {
    const hours = Math.round((timeoutMs / 3_600_000) * 100) / 100
    const why = b.state === 'waiting-for-jenkins' && b.lastError ? `: ${b.lastError}` : ` (${b.state})`
    return { state: 'error', description: `Timed out after ${hours} h${why}`, rank: 4 }
  }
  switch (b.state) {
    case 'pending':
    case 'triggering':
      return { state: 'pending', description: `Waiting to start ${job} in Jenkins`, rank: 1 }
    case 'waiting-for-jenkins':
      return { state: 'pending', description: `Waiting for Jenkins (retrying) to start ${job}`, rank: 1 }
    case 'queued':
      return { state: 'pending', description: `Queued in Jenkins: ${job}`, rank: 2 }
    default:
      return {
        state: 'running',
        description: `Running in Jenkins: ${job}${b.buildNumber ? ` #${b.buildNumber}` : ''}`,
        rank: 3,
      }
  }
}

/** Whether a build ended badly (for `comment: failure`). */
export function failed(b: BuildRecord): boolean {
  return b.state === 'finished' ? (b.result ?? '').toUpperCase() !== 'SUCCESS' : ['lost', 'refused'].includes(b.state)
}
