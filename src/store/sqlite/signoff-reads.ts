// Sign-off reads (issue #15): a sign-off with its parties in the order they were named.
import type { Database } from 'better-sqlite3'
import type { SignoffStore } from '../signoffs.js'
import {
  SIGNOFF_COLUMNS as COLUMNS,
  SIGNOFF_PARTIES_SQL,
  toSignoffRecord,
  type SignoffPartyRow,
  type SignoffRow as Row,
} from '../signoff-rows.js'

export function createSignoffReads(
  db: Database,
): Pick<SignoffStore, 'getSignoff' | 'signoffsOfBuild' | 'unsettledSignoffs'> {
  const byId = db.prepare(`SELECT ${COLUMNS} FROM signoffs WHERE id = ?`)
  const ofBuild = db.prepare(`SELECT ${COLUMNS} FROM signoffs WHERE build_id = ? ORDER BY seq`)
  const unsettled = db.prepare(
    `SELECT ${COLUMNS} FROM signoffs WHERE state IN ('approved', 'rejected') AND jenkins_action IS NULL ORDER BY seq LIMIT ?`,
  )
  const parties = db.prepare(SIGNOFF_PARTIES_SQL('?'))
  const toRecord = (r: Row) => toSignoffRecord(r, parties.all(r.id) as SignoffPartyRow[])
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
