// scripts/audit.mjs, the CI's `npm audit --omit=dev` gate (issue #9), on saved `npm audit --json`
// reports: high/critical fail, moderate passes, an advisory endpoint that answered 405 (as this
// workplace's registry mirror does) is reported as "not audited", and fails only with --strict.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const dir = mkdtempSync(join(tmpdir(), 'tamer-audit-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

function judge(report: unknown, ...flags: string[]) {
  const file = join(dir, `r-${Math.random()}.json`)
  writeFileSync(file, JSON.stringify(report))
  const r = spawnSync(process.execPath, ['scripts/audit.mjs', '--report', file, ...flags], { encoding: 'utf8' })
  return { code: r.status, out: r.stdout }
}

const meta = (high: number, critical = 0, moderate = 0) => ({
  vulnerabilities: { info: 0, low: 0, moderate, high, critical, total: high + critical + moderate },
  dependencies: { prod: 159, dev: 400, optional: 0, peer: 0, peerOptional: 0, total: 559 },
})

t.test('a high advisory fails and is named with its fix', async (t) => {
  const r = judge({
    auditReportVersion: 2,
    vulnerabilities: {
      'tar-fs': {
        name: 'tar-fs',
        severity: 'high',
        isDirect: false,
        range: '2.0.0 - 2.1.3',
        nodes: ['node_modules/tar-fs'],
        effects: ['prebuild-install'],
        fixAvailable: true,
        via: [
          {
            source: 1,
            name: 'tar-fs',
            dependency: 'tar-fs',
            title: 'tar-fs has a symlink validation bypass',
            url: 'https://github.com/advisories/GHSA-vj76-c3g6-qr5v',
            severity: 'high',
            range: '>=2.0.0 <2.1.4',
          },
        ],
      },
      'prebuild-install': {
        name: 'prebuild-install',
        severity: 'high',
        isDirect: false,
        range: '*',
        via: ['tar-fs'],
        effects: [],
        nodes: [],
        fixAvailable: true,
      },
    },
    metadata: meta(2),
  })
  t.equal(r.code, 1)
  t.match(
    r.out,
    /HIGH tar-fs 2\.0\.0 - 2\.1\.3 \(fix: npm audit fix\)\n {2}tar-fs has a symlink validation bypass https:\/\/github\.com\/advisories\/GHSA-vj76-c3g6-qr5v/,
  )
  t.match(r.out, /HIGH prebuild-install \* \(fix: npm audit fix\) via tar-fs/)
  t.match(r.out, /0 critical, 2 high, 0 moderate, 0 low in 159 production packages/)
})

t.test('moderate only, or nothing, passes', async (t) => {
  const moderate = judge({
    auditReportVersion: 2,
    vulnerabilities: { x: { name: 'x', severity: 'moderate', range: '<1', via: [], fixAvailable: false } },
    metadata: meta(0, 0, 1),
  })
  t.equal(moderate.code, 0)
  t.match(moderate.out, /0 critical, 0 high, 1 moderate/)
  t.equal(judge({ auditReportVersion: 2, vulnerabilities: {}, metadata: meta(0) }).code, 0)
  t.equal(
    judge({
      auditReportVersion: 2,
      vulnerabilities: {
        y: { name: 'y', severity: 'critical', range: '*', via: [], fixAvailable: { name: 'y', version: '2.0.0' } },
      },
      metadata: meta(0, 1),
    }).code,
    1,
  )
})

t.test('an endpoint that refused the audit is "not audited", never "clean"', async (t) => {
  const refused = {
    message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    method: 'POST',
    statusCode: 405,
    body: '',
    error: { summary: '', detail: '' },
  }
  const r = judge(refused)
  t.equal(r.code, 0)
  t.match(
    r.out,
    /advisory endpoint could not be used \(405 Method Not Allowed.*\); production dependencies were NOT audited/,
  )
  t.equal(judge(refused, '--strict').code, 2, '--strict fails on it')
})
