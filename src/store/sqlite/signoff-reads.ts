// Sign-off reads (issue #15): a sign-off with its parties in the order they were named.
import type { Database } from 'better-sqlite3'
import type { SignoffParty, SignoffRecord, SignoffStore } from '../signoffs.js'

interface Row {
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

const COLUMNS = `id, build_id, tenant, repository, environment, input_id, message, state, expires_at, created_at,
  decided_at, jenkins_action, jenkins_acted_at, jenkins_error`

export function createSignoffReads(
  db: Database,
): Pick<SignoffStore, 'getSignoff' | 'signoffsOfBuild' | 'unsettledSignoffs'> {
  const byId = db.prepare(`SELECT ${COLUMNS} FROM signoffs WHERE id = ?`)
  const ofBuild = db.prepare(`SELECT ${COLUMNS} FROM signoffs WHERE build_id = ? ORDER BY seq`)
  const unsettled = db.prepare(
    `SELECT ${COLUMNS} FROM signoffs WHERE state IN ('approved', 'rejected') AND jenkins_action IS NULL ORDER BY seq LIMIT ?`,
  )
  const parties = db.prepare(
    'SELECT party, decision, decided_at FROM signoff_parties WHERE signoff_id = ? ORDER BY position',
  )
  const toRecord = (r: Row): SignoffRecord => ({
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
    parties: (
      parties.all(r.id) as { party: string; decision: SignoffParty['decision']; decided_at: string | null }[]
    ).map((p) => ({ party: p.party, decision: p.decision, decidedAt: p.decided_at })),
  })
  return {
    async getSignoff(id) {
      const r = byId.get(id) as Row | undefined
      return r ? toRecord(r) : null
    },
    async signoffsOfBuild(buildId) {
      return (ofBuild.all(buildId) as Row[]).map(toRecord)
    },
    async unsettledSignoffs(limit) {
      return (unsettled.all(limit) as Row[]).map(toRecord)
    },
  }
}
