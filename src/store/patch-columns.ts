// Which column each field of a build, notification or host-post patch updates, and how its value
// is stored (JSON as text): one definition for both engines' UPDATEs (sqlite/*-writes.ts,
// postgres/writes.ts), which differ only in placeholders.
import type { BuildPatch } from './builds.js'
import type { HostPostPatch } from './host-posts.js'
import type { NotificationPatch } from './notifications.js'

export type BuildColumn = Exclude<keyof BuildPatch, 'runs'>

export const BUILD_PATCH_COLUMNS: Record<BuildColumn, string> = {
  state: 'state',
  queueId: 'queue_id',
  buildNumber: 'build_number',
  buildUrl: 'build_url',
  result: 'result',
  durationMs: 'duration_ms',
  failingStage: 'failing_stage',
  logTail: 'log_tail',
  tests: 'tests',
  callback: 'callback',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
  triggeredAt: 'triggered_at',
  missedAt: 'missed_at',
  job: 'job',
}

/** A build patch's value as stored: tests and callback as JSON text (null stays null). */
export const buildPatchValue = (key: string, value: unknown): unknown =>
  key === 'tests' || key === 'callback' ? (value === null ? null : JSON.stringify(value)) : value

export const NOTICE_PATCH_COLUMNS: Record<keyof NotificationPatch, string> = {
  state: 'state',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
  acceptedBy: 'accepted_by',
  sentAt: 'sent_at',
}

export const POST_PATCH_COLUMNS: Record<keyof HostPostPatch, string> = {
  state: 'state',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  lastError: 'last_error',
  answer: 'answer',
}

/** A host-post patch's value as stored: the answer as JSON text. */
export const postPatchValue = (key: string, value: unknown): unknown =>
  key === 'answer' ? JSON.stringify(value) : value
