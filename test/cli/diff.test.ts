// `tamer diff` as a user runs it: in process through main() and the command's own entry point, and
// once as the real bin in a child process. `tamer git-setup` and `git diff`: git-setup.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import t from 'tap'
import { code, notebook, stream } from '../notebooks/fixtures.js'
import { runTamer } from '../support/cli.js'
import { runDiffCommand, runGitDiffDriver } from '../../src/cli/diff.js'

import { childEnv, tamerArgv } from '../support/ts-hooks.js'
const tamer = (args: string[]) =>
  execa(process.execPath, tamerArgv(...args), { env: childEnv(), extendEnv: false, reject: false })
const nb = (src: string, out: string) => JSON.stringify(notebook([code('c1', src, [stream(out)], 1)]), null, 1)

const dir = mkdtempSync(join(tmpdir(), 'tamer-cli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const A = join(dir, 'a.ipynb')
const B = join(dir, 'b.ipynb')
writeFileSync(A, nb('acc = fit()\nprint(acc)', 'accuracy: 0.91\n'))
writeFileSync(B, nb('acc = fit(epochs=5)\nprint(acc)', 'accuracy: 0.93\n'))

// Every format and flag in process (the command's own entry point, with captured output), so a
// loaded machine does not pay a Node + tsx start-up per assertion; the real process runs below.
const inProcess = async (args: string[], color = false) => {
  let stdout = ''
  let stderr = ''
  const exitCode = await runDiffCommand(args, {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    color,
  })
  return { exitCode, stdout, stderr }
}

t.test('tamer diff: text, json, html, markdown, ignore flags, bad input', async (t) => {
  const text = await inProcess([A, B])
  t.equal(text.exitCode, 0, text.stderr)
  t.match(text.stdout, /## modified \/cells\/0\/source:\n@@ -1,2 \+1,2 @@\n-acc = fit\(\)\n\+acc = fit\(epochs=5\)/)
  t.notMatch(text.stdout, /\x1b/, 'no colour when not on a terminal')
  t.match((await inProcess([A, B, '--color'])).stdout, /\x1b\[34m/)

  const json = JSON.parse((await inProcess([A, B, '--format', 'json'])).stdout)
  t.match(json, [{ op: 'patch', key: 'cells' }])
  const viaNbdime = await inProcess([A, B, '--format', 'json', '--engine', 'nbdime'])
  // The command's own detection says whether nbdime is here (each nbdiff start costs ~3 s of CPU).
  if (!/nbdime engine requested but unavailable/.test(viaNbdime.stderr))
    t.same(JSON.parse(viaNbdime.stdout), json, '--engine nbdime: the real nbdiff, same diff')
  else if (process.env.CI) t.fail(`nbdime is required in CI: ${viaNbdime.stderr}`)
  else t.pass('absent nbdime is said plainly')
  const noOut = JSON.parse((await inProcess([A, B, '--format', 'json', '--ignore-outputs'])).stdout)
  t.notMatch(JSON.stringify(noOut), /"outputs"/)
  t.match((await inProcess([A, B, '--format', 'html'])).stdout, /^<!DOCTYPE html>/)
  t.match((await inProcess([A, B, '--format', 'markdown'])).stdout, /`accuracy` 0\.91 → 0\.93/)

  const bad = join(dir, 'bad.ipynb')
  writeFileSync(bad, '{"cells": [')
  const r = await inProcess([A, bad])
  t.equal(r.exitCode, 1)
  t.match(r.stderr, /could not parse bad\.ipynb: not valid JSON/)
  t.match(r.stdout, /^diff --git/m, 'a plain-text diff as fallback')
  t.equal((await inProcess([A])).exitCode, 2)
  t.equal((await inProcess([A, B, '--format', 'pdf'])).exitCode, 2)
})

// Issue #11, item 7: a missing or unreadable file gives what the README promises, a diff that says
// so, a clear message and exit 1 (as nbdiff); /dev/null, what git passes for an added or deleted
// file, is an empty notebook.
t.test(
  'tamer diff: a missing or unreadable file is a diff that says so, exit 1; /dev/null is an empty side',
  async (t) => {
    const nope = join(dir, 'nope.ipynb')
    const missing = await inProcess([A, nope])
    t.equal(missing.exitCode, 1)
    t.match(
      missing.stderr,
      `tamer diff: cannot read ${nope}: no such file\n`,
      'the message names the file and the reason in words',
    )
    t.notMatch(missing.stderr, /ENOENT|open '/, 'not a bare system error')
    t.match(missing.stderr, /compare it with \/dev\/null/, 'how to show an added or deleted notebook')
    t.equal(
      missing.stdout,
      `nbdiff ${A} ${nope}\n--- ${A}\n+++ ${nope}\n## not compared: ${nope}: no such file\n`,
      'a diff that says so',
    )
    const md = await inProcess([nope, B, '--format', 'markdown'])
    t.equal(md.exitCode, 1)
    t.match(md.stdout, /^### `.*nope\.ipynb`\n_Not compared: no such file\._/)
    const json = await inProcess([A, nope, '--format', 'json'])
    t.same([json.exitCode, json.stdout], [1, ''], 'JSON: nothing on stdout rather than something that is not JSON')
    const both = await inProcess([join(dir, 'gone-a.ipynb'), nope])
    t.match(
      both.stderr,
      /cannot read .*gone-a\.ipynb: no such file\n.*cannot read .*nope\.ipynb: no such file/s,
      'each missing file named',
    )
    const folder = await inProcess([A, dir])
    t.equal(folder.exitCode, 1)
    t.match(folder.stderr, /cannot read .*: is a directory, not a notebook/)

    const added = await inProcess(['/dev/null', B])
    t.equal(added.exitCode, 0, added.stderr)
    t.match(added.stdout, /## inserted before \/cells\/0:\n\+ {2}code cell:/, 'an added notebook: every cell inserted')
    const deleted = await inProcess([A, '/dev/null'])
    t.equal(deleted.exitCode, 0, deleted.stderr)
    t.match(deleted.stdout, /## deleted \/cells\/0:\n- {2}code cell:/)
    // git's external diff driver: path old-file old-hex old-mode new-file new-hex new-mode.
    let out = ''
    const driver = await runGitDiffDriver(['train.ipynb', '/dev/null', '.', '.', B, 'b'.repeat(40), '100644'], {
      stdout: (s) => void (out += s),
      stderr: () => {},
      color: false,
    })
    t.equal(driver, 0)
    t.match(
      out,
      /^nbdiff a\/train\.ipynb b\/train\.ipynb\n[\s\S]*## inserted before \/cells\/0:/,
      'git diff of an added notebook',
    )
  },
)

t.test('tamer diff as the process a user starts: exit codes and output', async (t) => {
  // One real process (the bin, its exit status and stdout); the rest in process through main().
  const [text, usage] = await Promise.all([tamer(['diff', A, B]), runTamer(['diff', A])])
  t.equal(text.exitCode, 0, text.stderr)
  t.match(text.stdout, /## modified \/cells\/0\/source:/)
  t.notMatch(text.stdout, /\x1b/, 'no colour when stdout is not a terminal')
  t.equal(usage.exitCode, 2)
})
