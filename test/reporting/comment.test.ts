// Issue #13: the living PR comment — a 200-cell notebook change is cut on a cell line below the
// host's limit with a link to the full diff; what came from the PR is escaped.
import t from 'tap'
import type { PushDiff } from '../../src/diffs/model.js'
import { nativeEngine } from '../../src/engines/engine.js'
import { summarize } from '../../src/notebooks/render/index.js'
import { COMMENT_MARKER, commentBody } from '../../src/reporting/comment.js'
import { escapeMarkdown } from '../../src/reporting/escape.js'
import type { BuildRecord } from '../../src/store/builds.js'
import { code, notebook, stream } from '../notebooks/fixtures.js'

async function bigDiff(cells: number): Promise<PushDiff> {
  const a = notebook(
    Array.from({ length: cells }, (_, i) => code(`c${i}`, `x = ${i}\nprint(x)`, [stream(`${i}\n`)], i + 1)),
  )
  const b = notebook(
    Array.from({ length: cells }, (_, i) =>
      code(`c${i}`, `x = ${i * 7}\nprint(x + 1)`, [stream(`${i * 7 + 1}\n`)], i + 1),
    ),
  )
  const r = await nativeEngine.diff(JSON.stringify(a), JSON.stringify(b), { a: 'a.ipynb', b: 'b.ipynb' }, {})
  return {
    repository: 'acme-ds/churn-model',
    ref: 'refs/heads/tenure',
    base: 'a'.repeat(40),
    head: 'b'.repeat(40),
    notes: [],
    files: [
      {
        kind: 'notebook',
        path: 'notebooks/churn.ipynb',
        oldPath: null,
        status: 'modified',
        base: r.base,
        diff: r.diff,
        summary: summarize(r.base, r.diff),
        degraded: r.degraded,
      },
    ],
  }
}

const build = {
  id: 'b1',
  seq: 1,
  rule: 'train',
  job: 'ds/train',
  state: 'finished',
  result: 'FAILURE',
  failingStage: 'Unit tests',
  tests: { total: 12, failed: 2, skipped: 1 },
  buildNumber: 7,
  buildUrl: 'https://jenkins.example.com/job/ds/job/train/7/',
  acceptedAt: 0,
} as unknown as BuildRecord

t.test('a 200-cell change: cut on a cell line below the limit, with the link to the full diff', async (t) => {
  const diff = await bigDiff(200)
  const link = 'https://tamer.example.com/diffs/d1?exp=1&sig=abc'
  const cellLinesOf = (body: string) => body.split('\n').filter((l) => /^\s*- .*cell \d+/.test(l))
  const all = cellLinesOf(
    commentBody({
      pr: { number: 42, title: null, source: null, target: null },
      sha: null,
      builds: [build],
      diff,
      diffLink: link,
      limit: 1e9,
      now: 0,
      timeoutMs: 1,
    }),
  ).length
  t.ok(all >= 200, `${all} cell lines uncut`)
  for (const limit of [16_000, 4_000]) {
    const body = commentBody({
      pr: { number: 42, title: 'Tenure buckets', source: 'tenure', target: 'main' },
      sha: 'b'.repeat(40),
      builds: [build],
      diff,
      diffLink: link,
      limit,
      now: 0,
      timeoutMs: 3_600_000,
    })
    t.ok(body.length < limit, `${body.length} < ${limit}`)
    t.ok(body.startsWith(COMMENT_MARKER))
    t.match(body, /more changes not shown/, 'says it was cut')
    t.ok(body.trimEnd().endsWith(`[Full notebook diff](<${link}>)`), 'ends with the link to the full diff')
    const cellLines = cellLinesOf(body)
    t.ok(cellLines.length > 5 && cellLines.length < all, `${cellLines.length} whole cell lines of ${all}`)
    t.ok(
      cellLines.every((l) => !l.endsWith('\\')),
      'no line cut in the middle',
    )
  }
  const whole = commentBody({
    pr: { number: 42, title: null, source: null, target: null },
    sha: null,
    builds: [build],
    diff,
    diffLink: link,
    limit: 1_000_000,
    now: 0,
    timeoutMs: 3_600_000,
  })
  t.notMatch(whole, /more changes not shown/, 'GitLab’s limit holds it whole')
})

t.test('text from a pull request cannot link, mention or inject HTML', async (t) => {
  const evil =
    'Fix [x](https://evil.example.com) ![i](http://e/x.png) @org/team <script>alert(1)</script> www.evil.com #1'
  const e = escapeMarkdown(evil)
  t.notMatch(e, /\]\(/)
  t.notMatch(e, /https:\/\//)
  t.notMatch(e, /@org/)
  t.notMatch(e, /(?<!\\)</)
  t.notMatch(e, /www\.evil/)
  t.notMatch(e, /\n/)
})

t.test(
  "the JUnit report's failed tests: listed per rule with their error line, escaped, the rest counted",
  async (t) => {
    const failures = Array.from({ length: 12 }, (_, i) => ({
      name: `tests.test_model.test_${i}`,
      error: i === 0 ? 'AssertionError: see [docs](https://evil.example.com) @admins <img src=x>' : null,
    }))
    const body = commentBody({
      pr: { number: 42, title: null, source: null, target: null },
      sha: null,
      builds: [{ ...build, tests: { total: 30, failed: 14, skipped: 0, failures } } as BuildRecord],
      diff: null,
      diffLink: null,
      limit: 65_536,
      now: 0,
      timeoutMs: 3_600_000,
    })
    t.match(body, '**Failed tests (train)**')
    t.match(body, /^- tests\\\.test\\_model\\\.test\\_0: AssertionError: see \\\[docs\\\]/m)
    t.notMatch(body, /\]\(https/, 'an error message cannot make a link')
    t.notMatch(body, /@admins/, 'nor a mention')
    t.notMatch(body, /(?<!\\)<img/, 'nor HTML')
    t.equal(body.split('\n').filter((l) => /^- tests/.test(l)).length, 10, 'ten shown')
    t.match(body, '- and 4 more')
  },
)
