#!/usr/bin/env node
// npm test's static checks before tap: `npm run typecheck` beside the two halves of `npm run lint`
// (prettier, eslint). Each is one busy core: run as lint's two steps one after the other beside tsc,
// two cores took prettier + eslint (~60 s of CPU) while tsc (~40 s) had finished long before; all
// three at once take about half their sum (issue #11: npm test under 6 minutes). npm test runs this beside
// tap at a lower priority (scripts/test.mjs). Each check's output is printed whole when it ends; the exit
// status is the first failure's.
import { spawn } from 'node:child_process'

const checks = ['typecheck', 'lint:format', 'lint:code']

function run(script) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    child.on('error', (err) => resolve({ script, status: 1, out: `${out}${err.message}\n` }))
    child.on('close', (code, signal) => resolve({ script, status: code ?? (signal ? 1 : 0), out }))
  })
}

let status = 0
await Promise.all(
  checks.map((script) =>
    run(script).then((r) => {
      process.stdout.write(`> npm run ${r.script}: ${r.status === 0 ? 'ok' : `failed (exit ${r.status})`}\n${r.out}`)
      if (r.status !== 0 && status === 0) status = r.status
    }),
  ),
)
process.exitCode = status
