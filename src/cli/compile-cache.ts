// V8's code cache on disk for the modules the `tamer` command loads (Node 22.1+,
// https://nodejs.org/api/module.html#module-compile-cache). `git diff` with Tamer's driver starts
// `tamer diff` once per notebook, compiling the same ~30 modules each time; with the cache warm
// bench:cli measured 5–7 % less CPU per small diff on Node 22 and 24.
import nodeModule from 'node:module'
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

/**
 * Where the cache lives: NODE_COMPILE_CACHE when set (Node's own variable), else the user's cache
 * directory ($XDG_CACHE_HOME, or ~/.cache, per the XDG Base Directory spec,
 * https://specifications.freedesktop.org/basedir-spec/latest/). Never beside the install (it may
 * be read-only) and never Node's default, a shared /tmp/node-compile-cache another user could
 * have created and filled: cached code is run as compiled. undefined: no home, no cache.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv, home: () => string = homedir): string | undefined {
  if (env['NODE_COMPILE_CACHE']) return env['NODE_COMPILE_CACHE']
  const xdg = env['XDG_CACHE_HOME']
  // The spec: a relative XDG path is invalid and ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, 'tamer', 'node-compile-cache')
  try {
    const h = home()
    return h ? join(h, '.cache', 'tamer', 'node-compile-cache') : undefined
  } catch {
    return undefined
  }
}

/**
 * Turns the cache on for this process (NODE_DISABLE_COMPILE_CACHE=1 keeps it off; Node 20 has no
 * cache). Node writes each entry to a temporary file and renames it into place (seen with strace
 * on 22 and 24), so concurrent runs never read half an entry, and it never throws: a directory it
 * cannot create or write only means no cache.
 */
export function enableCliCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const { enableCompileCache } = nodeModule as { enableCompileCache?: (dir?: string) => unknown }
  const dir = compileCacheDir(env)
  if (dir !== undefined) enableCompileCache?.(dir)
}
