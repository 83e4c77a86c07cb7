// The sign-off state of a build in one line (issue #15), for notices and the PR comment: who approved
// and when, who rejected, who is still waited on.
import type { SignoffRecord } from '../store/signoffs.js'

const minute = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`

/** e.g. `production sign-off: approved by ada@example.com (2026-12-06 22:50 UTC); waiting on bob@example.com` */
export function signoffLine(s: SignoffRecord): string {
  const approved = s.parties.filter((p) => p.decision === 'approved')
  const rejected = s.parties.filter((p) => p.decision === 'rejected')
  const waiting = s.parties.filter((p) => p.decision === null)
  const parts: string[] = []
  if (rejected.length > 0)
    parts.push(`rejected by ${rejected.map((p) => `${p.party} (${minute(p.decidedAt!)})`).join(', ')}`)
  if (approved.length > 0)
    parts.push(`approved by ${approved.map((p) => `${p.party} (${minute(p.decidedAt!)})`).join(', ')}`)
  if (s.state === 'waiting' && waiting.length > 0) parts.push(`waiting on ${waiting.map((p) => p.party).join(', ')}`)
  const verdict = s.state === 'waiting' ? ':' : ` ${s.state === 'approved' ? 'APPROVED' : 'REJECTED'}:`
  return `${s.environment} sign-off${verdict} ${parts.join('; ')}`
}
