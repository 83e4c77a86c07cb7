// A real PostgreSQL for the tests: each test file gets a database of its own (CREATE DATABASE),
// dropped at its end. The server is TAMER_TEST_DATABASE_URL's (CI starts one, see .ci/run); else,
// where PostgreSQL's binaries are installed (initdb, pg_ctl), this process starts a private
// throwaway cluster (fsync off) in a temp dir from a template made once per machine, and stops it
// at exit. Without either, the PostgreSQL tests skip and say why (with CI set they fail).
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { freePort } from './free-port.js'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

interface Tap {
  teardown(fn: () => unknown): void
  skip(msg: string, fn: () => void): unknown
  fail(msg: string): void
}

let server: Promise<{ url: string } | { skip: string }> | null = null

/** The binaries' folder of the newest PostgreSQL installed (Debian's layout), or the PATH's. */
function binDir(): string | null {
  const debian = '/usr/lib/postgresql'
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions[0]) return join(debian, versions[0], 'bin')
  }
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim()
  return found ? join(found, '..') : null
}

/** PostgreSQL refuses to run as root: as root, its binaries run as the `postgres` user. */
function asOwner(bin: string, args: string[]): { file: string; args: string[] } {
  return userInfo().uid === 0 ? { file: 'runuser', args: ['-u', 'postgres', '--', bin, ...args] } : { file: bin, args }
}

function own(path: string): void {
  if (userInfo().uid !== 0) return
  const id = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()
  const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()
  chownSync(path, Number(id), Number(gid))
}

/** initdb once per machine (~2 s); each test process copies the result (~0.1 s). */
function template(bin: string): string {
  const path = join(tmpdir(), `tamer-pg-template-${userInfo().uid}-${bin.replaceAll('/', '_')}`)
  if (existsSync(join(path, 'PG_VERSION'))) return path
  const work = mkdtempSync(join(tmpdir(), 'tamer-pg-initdb-'))
  own(work)
  const data = join(work, 'data')
  const init = asOwner(join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', 'tamer', '-E', 'UTF8', '--no-sync'])
  execFileSync(init.file, init.args, { stdio: 'ignore', cwd: tmpdir() })
  try {
    renameSync(data, path)
  } catch {
    // Another test process made it first.
  }
  rmSync(work, { recursive: true, force: true })
  return path
}

async function startCluster(bin: string): Promise<{ url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tamer-pg-'))
  chmodSync(dir, 0o755)
  own(dir)
  const data = join(dir, 'data')
  cpSync(template(bin), data, { recursive: true })
  const sock = join(dir, 'sock')
  mkdirSync(sock)
  if (userInfo().uid === 0) execFileSync('chown', ['-R', 'postgres:postgres', data, sock])
  chmodSync(data, 0o700)
  const port = await freePort()
  const options = `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`
  const start = asOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', 'start'])
  execFileSync(start.file, start.args, { stdio: 'ignore', cwd: tmpdir() })
  process.once('exit', () => {
    const stop = asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'])
    spawnSync(stop.file, stop.args, { stdio: 'ignore', cwd: tmpdir() })
    rmSync(dir, { recursive: true, force: true })
  })
  return { url: `postgres://tamer@127.0.0.1:${port}/postgres` }
}

function findServer(): Promise<{ url: string } | { skip: string }> {
  server ??= (async () => {
    const given = process.env.TAMER_TEST_DATABASE_URL
    if (given) return { url: given }
    const bin = binDir()
    if (!bin) return { skip: 'PostgreSQL is not installed (no initdb) and TAMER_TEST_DATABASE_URL is not set' }
    try {
      return await startCluster(bin)
    } catch (err) {
      return { skip: `cannot start a PostgreSQL cluster from ${bin}: ${(err as Error).message}` }
    }
  })()
  return server
}

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/**
 * A fresh, empty database for this test (file): its URL, or null after skipping `t` (failing it
 * in CI) when no PostgreSQL is available. Dropped in teardown.
 */
export async function freshDatabase(t: Tap): Promise<string | null> {
  const found = await findServer()
  if ('skip' in found) {
    if (process.env.CI) t.fail(`PostgreSQL is required in CI: ${found.skip}`)
    else t.skip(found.skip, () => {})
    return null
  }
  const name = `tamer_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: found.url })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: found.url })
    await c.connect()
    try {
      // FORCE is refused (42501) while a backend this role may not end is attached for a moment (seen once in a
      // whole npm test, 11:15 on 2026-12-07); it is gone a moment later, so the drop is tried again.
      for (let attempt = 1; ; attempt++) {
        try {
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
          break
        } catch (err) {
          if ((err as { code?: string }).code !== '42501' || attempt >= 10) throw err
          await new Promise((r) => setTimeout(r, 200))
        }
      }
    } finally {
      await c.end()
    }
  })
  return withDatabase(found.url, name)
}
