// The signoffs table's row and its mapping to a SignoffRecord: one definition for both engines
// (sqlite/signoff-reads.ts, postgres/signoffs.ts), which differ only in how they run the SQL.
import type { SignoffParty, SignoffRecord } from './signoffs.js'

export interface SignoffRow {
  id: string
  build_id: string
  tenant: string
  repository: string | null
  environment: string
  input_id: string
  message: string
  state: SignoffRecord['state']
  expires_at: number
  created_at: string
  decided_at: string | null
  jenkins_action: SignoffRecord['jenkinsAction']
  jenkins_acted_at: string | null
  jenkins_error: string | null
}

export interface SignoffPartyRow {
  party: string
  decision: SignoffParty['decision']
  decided_at: string | null
}

export const SIGNOFF_COLUMNS = `id, build_id, tenant, repository, environment, input_id, message, state, expires_at,
  created_at, decided_at, jenkins_action, jenkins_acted_at, jenkins_error`

export const SIGNOFF_PARTIES_SQL = (param: string): string =>
  `SELECT party, decision, decided_at FROM signoff_parties WHERE signoff_id = ${param} ORDER BY position`

export function toSignoffRecord(r: SignoffRow, parties: readonly SignoffPartyRow[]): SignoffRecord {
  return {
    id: r.id,
    buildId: r.build_id,
    tenant: r.tenant,
    repository: r.repository,
    environment: r.environment,
    inputId: r.input_id,
    message: r.message,
    state: r.state,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    decidedAt: r.decided_at,
    jenkinsAction: r.jenkins_action,
    jenkinsActedAt: r.jenkins_acted_at,
    jenkinsError: r.jenkins_error,
    parties: parties.map((p) => ({ party: p.party, decision: p.decision, decidedAt: p.decided_at })),
  }
}
