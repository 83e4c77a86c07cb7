/** Runs the real `nbdiff` (nbdime 4.0.4) for parity tests: no shell, clean cwd, pinned env. */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DiffEntry, DiffOptions } from '../../src/notebooks/core/index.js'

const ENV = { ...process.env, TZ: 'UTC', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }

/**
 * nbdime's installed version as `python3` sees it (the interpreter nbdiffBatch runs), or undefined
 * where it has none. Read from the package metadata, without importing nbdime: `nbdiff --version`
 * costs a whole nbdime start (~3 s of CPU here, mostly jsonschema importing rfc3987_syntax), this ~0.2 s.
 */
export async function nbdimeVersion(): Promise<string | undefined> {
  const cwd = await mkdtemp(join(tmpdir(), 'tamer-nbdiff-'))
  try {
    const probe = 'from importlib.metadata import version; print(version("nbdime"))'
    return await new Promise<string | undefined>((resolve) =>
      execFile('python3', ['-c', probe], { cwd, env: ENV, timeout: 30_000 }, (err, stdout) =>
        resolve(err ? undefined : stdout.trim()),
      ),
    )
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
}

/**
 * Many pairs through nbdime's CLI entry point in ONE Python process: `nbdime.nbdiffapp.main`
 * with the same argv as `nbdiff` (its import alone takes ~2 s here). The notebook differs that
 * flags reconfigure are reset between runs, as a fresh process would have them. Each `--out` file is
 * read back as soon as its run returns and all of them come back on stdout: one CI run found a
 * batch's first output gone when Node read it after the batch (cause not found), so a missing
 * output now fails here, at once, naming what the directory still holds.
 */
const BATCH = `
import json, os, sys
import nbdime
from nbdime.nbdiffapp import main
from nbdime.diffing.notebooks import reset_notebook_differ
if nbdime.__version__ != "4.0.4":
    sys.exit("nbdime 4.0.4 required, found " + nbdime.__version__)
results = []
for job in json.load(sys.stdin):
    reset_notebook_differ()
    status = main(job["flags"] + ["--out", job["out"], job["a"], job["b"]])
    if status:
        sys.exit("nbdiff failed for " + job["a"])
    try:
        with open(job["out"]) as f:
            results.append(json.load(f))
    except FileNotFoundError:
        folder = os.path.dirname(job["out"])
        held = sorted(os.listdir(folder)) if os.path.isdir(folder) else "the directory is gone"
        sys.exit("nbdiff returned 0 but wrote no " + job["out"] + "; the directory holds: " + str(held))
sys.stdout.write("\\n" + json.dumps(results, separators=(",", ":")))
`

export interface BatchJob {
  a: string
  b: string
  flags?: string[]
}

export async function nbdiffBatch(jobs: BatchJob[]): Promise<DiffEntry[][]> {
  const files = await mkdtemp(join(tmpdir(), 'tamer-nbb-'))
  const cwd = await mkdtemp(join(tmpdir(), 'tamer-nbcwd-'))
  try {
    const spec = await Promise.all(
      jobs.map(async (j, k) => {
        const a = join(files, `${k}-a.ipynb`)
        const b = join(files, `${k}-b.ipynb`)
        await writeFile(a, j.a)
        await writeFile(b, j.b)
        return { a, b, out: join(files, `${k}.json`), flags: j.flags ?? [] }
      }),
    )
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        'python3',
        ['-c', BATCH],
        { cwd, env: ENV, timeout: 240_000, maxBuffer: 1 << 30 },
        (err, out, stderr) => {
          if (err) reject(new Error(`nbdime batch failed: ${stderr || err.message}`))
          else resolve(out)
        },
      )
      child.stdin?.end(JSON.stringify(spec))
    })
    // The last line: anything nbdime itself printed comes before it.
    const diffs = JSON.parse(stdout.slice(stdout.lastIndexOf('\n') + 1)) as DiffEntry[][]
    if (diffs.length !== jobs.length)
      throw new Error(`nbdime batch gave ${diffs.length} diffs for ${jobs.length} pairs`)
    return diffs
  } finally {
    await rm(files, { recursive: true, force: true })
    await rm(cwd, { recursive: true, force: true })
  }
}

/** nbdiff's `-s/-o/-a/-m/-i/-d` (process only) and `-S/-O/-A/-M/-I/-D` (ignore) as options. */
export function flagsToOptions(flags: string[]): DiffOptions {
  const letters = flags.flatMap((f) => [...f.replace(/^-/, '')])
  const names = { s: 'Sources', o: 'Outputs', a: 'Attachments', m: 'Metadata', i: 'Ids', d: 'Details' } as const
  const positive = letters.some((l) => l === l.toLowerCase())
  const opts: DiffOptions = {}
  for (const [letter, name] of Object.entries(names)) {
    const key = `ignore${name}` as keyof DiffOptions
    const given = letters.includes(positive ? letter : letter.toUpperCase())
    ;(opts as Record<string, boolean>)[key] = positive ? !given : given
  }
  return opts
}

/** Random ids (v3 upgrade, repaired ≥4.5 ids) differ run to run: replace their values. */
export function maskIds(d: unknown): unknown {
  if (Array.isArray(d)) return d.map(maskIds)
  if (typeof d !== 'object' || d === null) return d
  const o = { ...(d as Record<string, unknown>) }
  if (o.op === 'replace' && o.key === 'id') o.value = '<id>'
  if (o.op === 'add' && o.key === 'id') o.value = '<id>'
  if ('cell_type' in o && 'id' in o) o.id = '<id>'
  for (const k of Object.keys(o)) if (typeof o[k] === 'object') o[k] = maskIds(o[k])
  return o
}

/** Cell-level summary: which cells were inserted, deleted or patched. */
export function cellOps(d: DiffEntry[]): string[] {
  const cells = d.find((e) => e.op === 'patch' && e.key === 'cells')
  if (!cells || cells.op !== 'patch') return []
  return cells.diff.map((e) =>
    e.op === 'addrange'
      ? `+${e.key}x${e.valuelist.length}`
      : e.op === 'removerange'
        ? `-${e.key}x${e.length}`
        : `${e.op}${e.key}`,
  )
}
