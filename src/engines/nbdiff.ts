// The real nbdime, run as a process: `nbdiff --out FILE A B` (there is no --json flag), with no
// shell, a timeout, and a private temp dir as cwd — a stray nbdime_config.json in the cwd silently
// changes nbdime's results (jupyter/nbdime nbdime/config.py reads the cwd first, then the jupyter
// config dirs), and so does user git config (nbdime/prettyprint.py renders text through `git diff`).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NbdimeFailedError, NbdimeUnavailableError } from '../errors.js'
import type { DiffEntry, DiffOptions } from '../notebooks/core/index.js'

export interface NbdiffOptions {
  /** The nbdiff executable; found on PATH by default. */
  command?: string
  /** Kill nbdiff after this long (default 120 s: 2,000 cells without ids take ~45 s, 20,000 take minutes). */
  timeoutMs?: number
  /** Give up on `nbdiff --version` after this long (default 120 s, as long as a diff gets by default). */
  detectTimeoutMs?: number
}

export type NbdimeDetection =
  { available: true; command: string; version: string } | { available: false; command: string; reason: string }

/** Hermetic environment: no user git config, fixed time zone, an empty jupyter config dir. */
function env(dir: string): Record<string, string> {
  return {
    TZ: 'UTC',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    JUPYTER_CONFIG_DIR: join(dir, 'jupyter-config'),
    PYTHONDONTWRITEBYTECODE: '1',
  }
}

/**
 * `nbdiff --version`, said plainly when nbdime is absent or broken. Its start-up is most of a small
 * diff's cost (~3 s of CPU here, importing nbdime's validators): the 30 s it had made a busy machine
 * (load 14 on 2 cores) fall back to the native engine although nbdime was there and would have run.
 */
export async function detectNbdime(opts: NbdiffOptions = {}): Promise<NbdimeDetection> {
  const command = opts.command ?? 'nbdiff'
  const timeout = opts.detectTimeoutMs ?? 120_000
  try {
    const { execa } = await import('execa') // ~100 modules: loaded only when nbdime is asked for
    const r = await execa(command, ['--version'], { timeout, reject: false, stdin: 'ignore', cwd: tmpdir() })
    if (r.failed || r.exitCode !== 0) {
      const why =
        r.code === 'ENOENT'
          ? `${command} not found on PATH (pip install nbdime==4.0.4)`
          : r.timedOut
            ? `${command} --version timed out after ${timeout / 1000} s`
            : `${command} --version exited ${r.exitCode ?? r.signal}: ${String(r.stderr).trim().split('\n').pop() ?? ''}`
      return { available: false, command, reason: why }
    }
    const version = /(\d+\.\d+\.\d+\S*)/.exec(String(r.stdout))?.[1] ?? String(r.stdout).trim()
    return { available: true, command, version }
  } catch (err) {
    return { available: false, command, reason: (err as Error).message }
  }
}

/** nbdime's ignore flags (-S -O -A -M -I -D) from the same options the native engine takes. */
export function nbdiffFlags(options: DiffOptions): string[] {
  const flags: string[] = []
  if (options.ignoreSources) flags.push('--ignore-sources')
  if (options.ignoreOutputs) flags.push('--ignore-outputs')
  if (options.ignoreAttachments) flags.push('--ignore-attachments')
  if (options.ignoreMetadata) flags.push('--ignore-metadata')
  if (options.ignoreIds) flags.push('--ignore-id')
  if (options.ignoreDetails) flags.push('--ignore-details')
  return flags
}

/** Diff two notebook texts with the real nbdime; the JSON is nbdime's own diff format. */
export async function nbdimeDiff(
  aText: string,
  bText: string,
  options: DiffOptions = {},
  opts: NbdiffOptions = {},
): Promise<DiffEntry[]> {
  const command = opts.command ?? 'nbdiff'
  const dir = await mkdtemp(join(tmpdir(), 'tamer-nbdiff-'))
  try {
    await mkdir(join(dir, 'jupyter-config'))
    await writeFile(join(dir, 'a.ipynb'), aText)
    await writeFile(join(dir, 'b.ipynb'), bText)
    // Relative paths with ./ so a name can never be read as an option.
    const args = [...nbdiffFlags(options), '--no-color', '--out', './diff.json', './a.ipynb', './b.ipynb']
    const { execa } = await import('execa')
    const r = await execa(command, args, {
      cwd: dir,
      env: env(dir),
      timeout: opts.timeoutMs ?? 120_000,
      reject: false,
      stdin: 'ignore',
      maxBuffer: 10 * 1024 * 1024,
    })
    if (r.code === 'ENOENT') throw new NbdimeUnavailableError(`${command} not found on PATH`)
    if (r.timedOut)
      throw Object.assign(new NbdimeFailedError(`timed out after ${(opts.timeoutMs ?? 120_000) / 1000} s`), {
        timedOut: true,
      })
    if (r.exitCode !== 0) {
      const lastLine = `${String(r.stderr)}\n${String(r.stdout)}`.trim().split('\n').filter(Boolean).pop() ?? ''
      throw nbdiffExitError(r.exitCode ?? -1, lastLine)
    }
    const parsed: unknown = JSON.parse(await readFile(join(dir, 'diff.json'), 'utf8'))
    if (!Array.isArray(parsed)) throw new NbdimeFailedError('the JSON diff is not a list')
    return parsed as DiffEntry[]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** nbdiff exited non-zero; `detail` is the last line (a Python exception, or "Missing file"). */
export interface NbdiffExitError extends Error {
  code: 'TAMER_NBDIME_FAILED'
  exitCode: number
  detail: string
}

function nbdiffExitError(exitCode: number, detail: string): NbdiffExitError {
  return Object.assign(new NbdimeFailedError(`exit status ${exitCode}: ${detail}`), {
    exitCode,
    detail,
  }) as NbdiffExitError
}
