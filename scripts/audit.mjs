#!/usr/bin/env node
// `npm audit --omit=dev` for CI (issue #9): fails on any high or critical advisory in the
// production dependencies, and tells an advisory endpoint that cannot be reached (some
// registry mirrors answer its POST with 405) apart from a clean audit instead of failing on it.
//   node scripts/audit.mjs            exit 1: high/critical found · 0: clean, or endpoint unreachable (said loudly)
//   node scripts/audit.mjs --strict   an unreachable endpoint fails too (exit 2)
//   node scripts/audit.mjs --report FILE   judge a saved `npm audit --json` report (tests)
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const strict = args.includes('--strict')
const reportAt = args.indexOf('--report')

function runAudit() {
  const r = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.error) return { error: { summary: r.error.message } }
  try {
    return JSON.parse(r.stdout)
  } catch {
    return {
      error: { summary: `npm audit printed no JSON (exit ${r.status}): ${(r.stderr || '').trim().split('\n').pop()}` },
    }
  }
}

const report = reportAt >= 0 ? JSON.parse(readFileSync(args[reportAt + 1], 'utf8')) : runAudit()
const counts = report.metadata?.vulnerabilities
if (!counts) {
  const why = report.message ?? report.error?.summary ?? 'no audit result'
  console.log(`npm audit: the advisory endpoint could not be used (${why}); production dependencies were NOT audited`)
  process.exit(strict ? 2 : 0)
}
const serious = Object.values(report.vulnerabilities ?? {}).filter(
  (v) => v.severity === 'high' || v.severity === 'critical',
)
for (const v of serious) {
  const advisories = (v.via ?? []).filter((x) => typeof x === 'object').map((x) => `${x.title} ${x.url}`)
  const fix =
    v.fixAvailable === true
      ? 'fix: npm audit fix'
      : v.fixAvailable
        ? `fix: ${v.fixAvailable.name}@${v.fixAvailable.version}`
        : 'no fix yet'
  console.log(
    `${v.severity.toUpperCase()} ${v.name} ${v.range} (${fix})${advisories.length ? `\n  ${advisories.join('\n  ')}` : ` via ${(v.via ?? []).join(', ')}`}`,
  )
}
const prod = report.metadata?.dependencies?.prod
console.log(
  `npm audit --omit=dev: ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low${prod ? ` in ${prod} production packages` : ''}`,
)
process.exit(serious.length > 0 ? 1 : 0)
