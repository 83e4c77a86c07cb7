#!/usr/bin/env node
// npm test: the static checks (scripts/checks.mjs) beside the tap run (scripts/tap.mjs), the checks at a
// lower CPU priority. tap's two jobs keep the two cores only ~1.6× busy (files wait on children, sockets and
// timers), and the checks (~100 s of CPU: tsc, prettier, eslint) fill those gaps instead of running first
// on their own (~35 s of wall on Node 22; issue #11: npm test under 6 minutes). The checks' output is
// written in one piece when they end; the exit status is the first failure's, tap's run always finished.
import { spawn } from 'node:child_process'
import { setPriority } from 'node:os'
import { fileURLToPath } from 'node:url'

// Niceness 10: the kernel's weight for it is ~1/10 of a default process's (sched(7)), so a busy tap file
// keeps its core and the checks take what is left.
const CHECKS_NICENESS = 10

function run(script, args, { priority, capture }) {
  return new Promise((resolve) => {
    const stdio = capture ? ['ignore', 'pipe', 'pipe'] : 'inherit'
    const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio })
    // Set before the child starts its own children (npm, tsc, eslint), which inherit it.
    if (priority !== undefined && child.pid !== undefined) {
      try {
        setPriority(child.pid, priority)
      } catch {
        // No permission or no such process: the checks run at the default priority.
      }
    }
    let out = ''
    if (capture) {
      child.stdout.on('data', (c) => (out += c))
      child.stderr.on('data', (c) => (out += c))
    }
    child.on('error', (err) => resolve({ status: 1, out: `${out}could not start ${script}: ${err.message}\n` }))
    child.on('close', (code, signal) => resolve({ status: code ?? (signal ? 1 : 0), out }))
  })
}

const checks = run('./checks.mjs', [], { priority: CHECKS_NICENESS, capture: true }).then((r) => {
  process.stdout.write(`\n${r.out}`)
  return r.status
})
const tap = run('./tap.mjs', process.argv.slice(2), { capture: false }).then((r) => r.status)

const [checksStatus, tapStatus] = await Promise.all([checks, tap])
process.exitCode = checksStatus !== 0 ? checksStatus : tapStatus
