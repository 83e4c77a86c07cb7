// The CLI's output reaches a slow reader whole: `tamer diff … | less` reads after the command is done
// writing, and an exit that does not wait for the pipe cut the output at the pipe's 64 KiB.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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
  // well under 6 s; the fixed command waits for the reader instead of exiting). On Linux, until it
  // sits idle for a second, which only the fixed command does: the 6 s were all waited out here.
  let timer: NodeJS.Timeout | undefined
  const stop = { done: false }
  const exitCode = await Promise.race([
    exited,
    new Promise<'running'>((ok) => (timer = setTimeout(() => ok('running'), 6_000))),
    idle(child.pid!, stop).then(() => 'running' as const),
  ])
  clearTimeout(timer)
  stop.done = true
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

/**
 * Resolves once process `pid` has sat idle for a second: every thread asleep (no R, no D) and no
 * CPU time gained over five looks 200 ms apart (/proc, Linux only; elsewhere it never resolves). A
 * process starved on a loaded machine is runnable (R), not asleep: starved is not taken for idle.
 * https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html
 */
async function idle(pid: number, stop: { done: boolean }): Promise<void> {
  let last = ''
  let quiet = 0
  while (!stop.done) {
    await new Promise((r) => setTimeout(r, 200))
    let look: string
    try {
      look = readdirSync(`/proc/${pid}/task`)
        .map((tid) => {
          // After the command's name in parentheses: state (3rd field), utime and stime (14th, 15th).
          const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')
          return `${f[0]}:${f[11]}:${f[12]}`
        })
        .join(' ')
    } catch {
      return new Promise(() => {}) // no /proc, or the process is gone (then it has exited)
    }
    const asleep = look.split(' ').every((thread) => !/^[RD]/.test(thread))
    quiet = asleep && look === last ? quiet + 1 : 0
    last = look
    if (quiet >= 5) return
  }
}
