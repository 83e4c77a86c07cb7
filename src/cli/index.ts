#!/usr/bin/env node
// The `tamer` bin (package.json "bin"; `npx tamer …` after `npm ci`): runs the command in main.ts.
import { enableCliCompileCache } from './compile-cache.js'

enableCliCompileCache()
// Imported after the cache is on, so main.ts and what it loads are compiled through it.
const { main } = await import('./main.js')

/**
 * Exits once stdout and stderr have handed everything to the OS: process.exit() drops what a pipe has
 * not taken yet (https://nodejs.org/api/process.html#processexitcode), which cut `tamer diff | less`
 * at 64 KiB. Write callbacks run in order, so an empty write's callback means all before it is out.
 */
function exitAfterOutput(code: number): void {
  process.exitCode = code
  let pending = 2
  const done = () => void (--pending === 0 && process.exit(code))
  process.stdout.write('', done)
  process.stderr.write('', done)
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) exitAfterOutput(code)
  },
  (err) => {
    process.stderr.write(`tamer: ${(err as Error).stack ?? String(err)}\n`)
    exitAfterOutput(1)
  },
)
