// What Tamer answers and keeps of one parity report (issue #15 item 3): the comparison, both
// environments' package versions where the repository names its own, and the files compared.
import type { ParityComparison } from './compare.js'
import type { PackageChange } from './packages.js'

export interface ParityResult extends ParityComparison {
  /** the repository's files at the build's commit */
  reference: { input: string; predictions: string; packages: string | null }
  /** package versions that differ between the development environment and the image; null: not compared */
  packages: PackageChange[] | null
  /** how many packages differ in all (`packages` keeps at most MAX_PACKAGE_CHANGES) */
  packagesChanged: number
  /** what was not compared, and why (no packages file, the image sent no pip freeze) */
  notes: string[]
}

export const MAX_PACKAGE_CHANGES = 30

/** One line for a status description or a log: `Parity passed: 120 rows` or the first reasons. */
export function paritySummary(r: ParityResult): string {
  return r.pass
    ? `Parity passed: ${r.rows.reference} rows, ${r.columns.length} columns as in development`
    : `Parity failed: ${r.reasons.join('; ')}`
}
