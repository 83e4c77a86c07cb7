#!/usr/bin/env node
// npm test's tap run: tap with scripts/ts-hooks.mjs in NODE_OPTIONS, which Node loads before the
// --import flags tap puts on each test's command line, so the hooks can leave out tap's process-info
// loader (why: scripts/ts-hooks.mjs), and a PYTHONPATH for the Pythons the tests start. Arguments go
// to tap as given; its exit status is ours.
import { spawn } from 'node:child_process'
import { delimiter } from 'node:path'
import { fileURLToPath } from 'node:url'

const hooks = new URL('./ts-hooks.mjs', import.meta.url).href
// test/support/python/sitecustomize.py for every Python the tests start (nbdiff): jsonschema's start-up
// import of rfc3987_syntax made lazy, ~2.3 s less CPU per nbdime process (why: that file).
const python = fileURLToPath(new URL('../test/support/python', import.meta.url))
const env = {
  ...process.env,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${hooks}`.trim(),
  PYTHONPATH: [python, process.env.PYTHONPATH].filter(Boolean).join(delimiter),
}
// tap's own bin (its package.json "bin"), so this runs outside npm too (no node_modules/.bin on PATH).
const tap = fileURLToPath(new URL('../node_modules/tap/dist/esm/run.mjs', import.meta.url))
const child = spawn(process.execPath, [tap, ...process.argv.slice(2)], { stdio: 'inherit', env })
child.on('error', (err) => {
  console.error(`could not start tap: ${err.message}`)
  process.exitCode = 1
})
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0)
})
