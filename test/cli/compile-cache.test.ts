// The `tamer` command's compile cache (src/cli/compile-cache.ts): in the user's cache directory,
// never Node's shared /tmp default, and a place that cannot be written costs nothing but the cache.
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { compileCacheDir } from '../../src/cli/compile-cache.js'
import { childEnv, tamerArgv } from '../support/ts-hooks.js'

t.test('the cache directory: NODE_COMPILE_CACHE, else XDG_CACHE_HOME, else ~/.cache; never /tmp', async (t) => {
  const home = () => '/home/ann'
  t.equal(compileCacheDir({ NODE_COMPILE_CACHE: '/x/cc', XDG_CACHE_HOME: '/xdg' }, home), '/x/cc')
  t.equal(compileCacheDir({ XDG_CACHE_HOME: '/xdg' }, home), '/xdg/tamer/node-compile-cache')
  t.equal(compileCacheDir({}, home), '/home/ann/.cache/tamer/node-compile-cache')
  // A relative XDG_CACHE_HOME is invalid (XDG Base Directory spec) and ignored.
  t.equal(compileCacheDir({ XDG_CACHE_HOME: 'rel' }, home), '/home/ann/.cache/tamer/node-compile-cache')
  const noHome = () => {
    throw new Error('no home')
  }
  t.equal(compileCacheDir({}, noHome), undefined, 'no home directory: no cache (not a shared one)')
  t.equal(
    compileCacheDir({}, () => ''),
    undefined,
  )
})

t.test('a cache directory that cannot be created: the command runs as without one', async (t) => {
  // Under a regular file, so not even root can create it.
  const r = spawnSync(process.execPath, tamerArgv('--help'), {
    env: childEnv({ NODE_COMPILE_CACHE: '/dev/null/tamer-cache' }),
    encoding: 'utf8',
  })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /^Usage: tamer <command>/)
  t.equal(r.stderr, '')
})
