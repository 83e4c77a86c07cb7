// The CLI's output reaches a slow reader whole: `tamer diff … | less` reads after the command is done
// writing, and an exit that does not wait for the pipe cut the output at the pipe's 64 KiB.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { code, notebook, stream } from '../notebooks/fixtures.js'
import { childEnv, tamerArgv } from '../support/ts-hooks.js'

t.setTimeout(120_000) // one Node + tsx start-up; slow on a loaded machine

t.test('a reader that starts late still gets every byte of a diff of over half a megabyte', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-cli-exit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const lines = (tag: string) => Array.from({ length: 40_000 }, (_, i) => `${tag} line ${i}\n`).join('')
  writeFileSync(join(dir, 'a.ipynb'), JSON.stringify(notebook([code('c1', 'run()', [stream(lines('old'))], 1)])))
  writeFileSync(join(dir, 'b.ipynb'), JSON.stringify(notebook([code('c1', 'run()', [stream(lines('new'))], 1)])))
  const child = spawn(process.execPath, tamerArgv('diff', '--format', 'json', 'a.ipynb', 'b.ipynb'), {
    cwd: dir,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)))
  child.stdout.pause()
  // Read nothing until the command has finished writing and asked to exit (a diff this size takes
  // well under 6 s; the fixed command waits for the reader instead of exiting).
  const exitCode = await Promise.race([exited, new Promise<'running'>((ok) => setTimeout(() => ok('running'), 6_000))])
  const chunks: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => chunks.push(c))
  child.stdout.resume()
  await new Promise((ok) => child.stdout.once('end', ok))
  const out = Buffer.concat(chunks).toString('utf8')
  t.equal(await exited, 0, `exit 0 (it was ${exitCode} when reading began)`)
  t.ok(out.length > 4 * 65_536, `more than a pipe's worth arrived (${out.length} bytes)`)
  const diff = JSON.parse(out) as unknown[]
  t.ok(Array.isArray(diff) && diff.length > 0, 'the whole JSON diff parses')
})
