// The adapter to the real nbdime: detection, same diff model as the native engine, ignore flags,
// a hermetic cwd, errors and timeouts. Needs nbdime 4.0.4 (`pip install nbdime==4.0.4`).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import t from 'tap'
import { createDiffEngine } from '../../src/engines/engine.js'
import { detectNbdime, nbdimeDiff, nbdiffFlags } from '../../src/engines/nbdiff.js'
import { diffNotebooks, parseNotebook, type DiffEntry } from '../../src/notebooks/core/index.js'
import { scenarios } from '../notebooks/fixtures.js'

const text = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x))

// One detection for the file: every nbdiff start costs ~3 s of CPU here (Python imports), and the
// file runs nbdiff seven times, so a loaded machine needs more than tap's default 120 s.
const installed = detectNbdime()
t.setTimeout(360_000)

// A busy machine: nbdiff's own start-up takes long (~3 s of CPU here), which is not "unavailable".
t.test('detection waits as long as it is told, and says a timeout plainly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-slow-nbdiff-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const slow = join(dir, 'nbdiff')
  writeFileSync(slow, '#!/bin/sh\nsleep 2\necho 4.0.4\n', { mode: 0o755 })
  t.match(await detectNbdime({ command: slow, detectTimeoutMs: 20_000 }), { available: true, version: '4.0.4' })
  t.match(await detectNbdime({ command: slow, detectTimeoutMs: 300 }), {
    available: false,
    reason: /--version timed out after 0\.3 s/,
  })
})

t.test('absent nbdime is said plainly, and the native engine serves', async (t) => {
  const d = await detectNbdime({ command: '/nonexistent/nbdiff' })
  t.equal(d.available, false)
  t.match(d, { reason: /not found on PATH \(pip install nbdime==4\.0\.4\)/ })
  const { engine, notice } = await createDiffEngine('nbdime', { command: '/nonexistent/nbdiff' })
  t.equal(engine.name, 'native')
  t.match(notice, /nbdime engine requested but unavailable .*using the native engine/)
  t.same(
    nbdiffFlags({
      ignoreSources: true,
      ignoreOutputs: true,
      ignoreAttachments: true,
      ignoreMetadata: true,
      ignoreIds: true,
      ignoreDetails: true,
    }),
    [
      '--ignore-sources',
      '--ignore-outputs',
      '--ignore-attachments',
      '--ignore-metadata',
      '--ignore-id',
      '--ignore-details',
    ],
  )
})

t.test('the real nbdiff', async (t) => {
  const found = await installed
  if (!found.available) {
    if (process.env.CI) t.fail(`nbdime is required in CI: ${found.reason}`)
    else t.skip(`nbdime not installed: ${found.reason}`, () => {})
    return
  }
  t.equal(found.version, '4.0.4', 'the release the corpus references came from')

  // One pair here, with and without -O: every nbdiff start costs ~3 s of CPU, and
  // test/notebooks/core/parity.test.ts runs three more through this adapter against its batch,
  // which it compares with the native engine. A rerun: outputs and execution counts change.
  const p = scenarios().find((x) => x.name === 'rerun-exec-counts')!
  const [a, b] = [text(p.a), text(p.b)]
  const strip = (d: DiffEntry[]) => JSON.parse(JSON.stringify(d)) as unknown
  const native = (options = {}) => strip(diffNotebooks(parseNotebook(a, 'a'), parseNotebook(b, 'b'), options))
  const engine = (await createDiffEngine('nbdime')).engine
  t.equal(engine.name, 'nbdime')
  const [full, noOut] = await Promise.all([
    engine.diff(a, b, { a: 'a.ipynb', b: 'b.ipynb' }).then((r) => r.diff),
    nbdimeDiff(a, b, { ignoreOutputs: true }),
  ])
  t.same(strip(full), native(), `${p.name}: nbdime's diff parses into the same model as the native one`)
  t.match(JSON.stringify(full), /"key":"outputs"/, 'the outputs changed')
  t.notMatch(JSON.stringify(noOut), /"key":"outputs"/, '-O: no output entries')
  t.not(noOut.length, 0, '-O: the execution counts still differ')
  t.same(strip(noOut), native({ ignoreOutputs: true }), 'same as the native engine under ignoreOutputs')
  await t.rejects(engine.diff(a, '{"nbformat": 4', { a: 'a.ipynb', b: 'b.ipynb' }), {
    message: /^could not parse b\.ipynb: not valid JSON/,
  })
})

t.test("a stray nbdime_config.json in the caller's cwd changes nothing", async (t) => {
  const found = await installed
  if (!found.available) return void t.skip('nbdime not installed', () => {})
  const dir = mkdtempSync(join(tmpdir(), 'tamer-stray-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    join(dir, 'nbdime_config.json'),
    JSON.stringify({ Diff: { sources: false, outputs: false, metadata: false, details: false, attachments: false } }),
  )
  const nb = (text: string) =>
    JSON.stringify({
      cells: [
        {
          cell_type: 'code',
          execution_count: 1,
          id: 'c1',
          metadata: {},
          outputs: [{ name: 'stdout', output_type: 'stream', text }],
          source: 'print(x)',
        },
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    })
  const p = { a: nb('accuracy 0.91\n'), b: nb('accuracy 0.93\n') }
  writeFileSync(join(dir, 'a.ipynb'), text(p.a))
  writeFileSync(join(dir, 'b.ipynb'), text(p.b))
  // Control: run bare in that dir, nbdime obeys the stray config.
  await execa('nbdiff', ['--out', 'diff.json', 'a.ipynb', 'b.ipynb'], { cwd: dir })
  const obeyed = JSON.parse(readFileSync(join(dir, 'diff.json'), 'utf8')) as DiffEntry[]
  const cwd = process.cwd()
  process.chdir(dir)
  try {
    const ours = await nbdimeDiff(text(p.a), text(p.b))
    t.notSame(ours, obeyed, 'control: the stray config does change a bare run')
    t.same(
      JSON.parse(JSON.stringify(ours)),
      JSON.parse(JSON.stringify(diffNotebooks(parseNotebook(text(p.a), 'a'), parseNotebook(text(p.b), 'b')))),
    )
  } finally {
    process.chdir(cwd)
  }
})

t.test('bad input and timeouts are errors, not hangs', async (t) => {
  const found = await installed
  if (!found.available) return void t.skip('nbdime not installed', () => {})
  const ok = JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 })
  await t.rejects(nbdimeDiff(ok, '{"cells": [', {}), {
    code: 'TAMER_NBDIME_FAILED',
    exitCode: 1,
    detail: /NotJSONError/,
  })
  await t.rejects(nbdimeDiff(ok, ok, {}, { timeoutMs: 1 }), { code: 'TAMER_NBDIME_FAILED', message: /timed out/ })
})
