// Posts one stored entry to its git host (issue #13). Order of writes, as for notices:
//   1. `sending` (+1 attempt) is committed before the host is called;
//   2. only after the host's 2xx is `sent` committed, with its answer.
// Unlike a notice, a post interrupted by a crash (left `sending`) is posted again at start:
// a commit status with the same context replaces the one shown, and the comment is found again
// by its marker and updated in place, so a repeat changes nothing the reader sees — exactly one
// status line and one comment after the restart.
// Stale updates are dropped here: an entry older than another live entry of the same status or
// comment is `superseded`, never posted. A 4xx other than 429 is a dead letter with the host's
// answer (a refused credential named by its config entry, never shown); 5xx, 429, rate limits and
// time-outs are retried with backoff, Retry-After honoured.
import type { Logger } from 'pino'
import { GitLabClient } from '../providers/gitlab/outbound.js'
import { HostRequestFailure, type CommitStatus, type HostAnswer, type PullRequestRef } from '../providers/outbound.js'
import { maskSecrets } from '../security/secrets.js'
import type { HostPostRecord, HostPostStore } from '../store/host-posts.js'
import { backoffMs } from '../work/backoff.js'
import { COMMENT_MARKER } from './comment.js'
import type { HostRegistry } from './hosts.js'
import type { ProviderName } from '../events/model.js'

export interface PostDeps {
  store: Pick<HostPostStore, 'updateHostPost' | 'newestHostPostVersion'>
  hosts: HostRegistry
  now(): number
  logger: Logger
  secrets: readonly string[]
  retryBaseMs: number
  retryMaxMs: number
  maxAttempts: number
  /** Told after each request to the host with its provider, how it ended and its time (for /metrics). */
  posted?: (provider: string, outcome: 'sent' | 'retry' | 'dead', seconds: number) => void
}

/** A host's Retry-After is honoured even beyond retryMaxMs, up to a day. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000

async function post(p: HostPostRecord, d: PostDeps): Promise<HostAnswer> {
  const target = d.hosts.clientFor(p.provider as ProviderName, p.tenant, p.repository)
  if (!target)
    throw new HostRequestFailure(`no reporting.hosts entry covers ${p.repository} any more`, null, false, null)
  if (p.kind === 'status') {
    const status = p.payload as CommitStatus
    // GitLab puts a status given only its branch on the branch's pipeline; a commit of an open merge request
    // belongs on the MR's (issue #13). A failed lookup posts without it: the status still lands.
    if (target.client instanceof GitLabClient && status.pipelineId === undefined) {
      const pipelineId = await target.client.mergeRequestPipelineId(status.repository, status.sha).catch(() => null)
      return target.client.setStatus({ ...status, pipelineId })
    }
    return target.client.setStatus(status)
  }
  const { pr, body } = p.payload as { pr: PullRequestRef; body: string }
  const found = await target.client.findComment(pr, COMMENT_MARKER)
  return found ? target.client.updateComment(pr, found.id, body) : target.client.createComment(pr, body)
}

export async function sendHostPost(d: PostDeps, p: HostPostRecord): Promise<void> {
  const log = d.logger.child({ hostPostId: p.id, buildId: p.buildId })
  const newest = await d.store.newestHostPostVersion(p.provider, p.repository, p.target)
  if (newest !== null && newest > p.version) {
    await d.store.updateHostPost(p.id, 'pending', { state: 'superseded', nextAttemptAt: null })
    return
  }
  const attempts = p.attempts + 1
  if (!(await d.store.updateHostPost(p.id, 'pending', { state: 'sending', attempts }))) return
  const started = performance.now()
  const told = (outcome: 'sent' | 'retry' | 'dead') =>
    d.posted?.(p.provider, outcome, (performance.now() - started) / 1000)
  try {
    const answer = await post(p, d)
    told('sent')
    await d.store.updateHostPost(p.id, 'sending', { state: 'sent', answer, lastError: null, nextAttemptAt: null })
    log.info({ provider: p.provider, kind: p.kind, target: p.target, attempts }, 'posted to the git host')
  } catch (err) {
    const f =
      err instanceof HostRequestFailure
        ? err
        : new HostRequestFailure((err as Error).message ?? String(err), null, true, null)
    const named = f.status === 401 || f.status === 403 ? `${p.credential} was refused: ${f.message}` : f.message
    const lastError = maskSecrets(named, d.secrets).slice(0, 500)
    told(!f.retryable || attempts >= d.maxAttempts ? 'dead' : 'retry')
    if (!f.retryable || attempts >= d.maxAttempts) {
      await d.store.updateHostPost(p.id, 'sending', { state: 'dead', lastError, nextAttemptAt: null })
      log.warn({ provider: p.provider, target: p.target, attempts, err: lastError }, 'host post given up: dead letter')
      return
    }
    const delay = f.retryAfterMs !== null ? Math.min(MAX_RETRY_AFTER_MS, f.retryAfterMs) : backoffMs(d, attempts)
    await d.store.updateHostPost(p.id, 'sending', { state: 'pending', lastError, nextAttemptAt: d.now() + delay })
    log.warn(
      { provider: p.provider, target: p.target, attempts, retryInMs: delay, err: lastError },
      'not posted; will retry',
    )
  }
}
