// `tamer diff A.ipynb B.ipynb` and `tamer git-diff-driver …` (what `tamer git-setup` registers):
// read two notebooks, diff them with the chosen engine, print text, JSON, HTML or Markdown.
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { EMPTY_NOTEBOOK, NotebookParseError, type DiffOptions } from '../notebooks/core/index.js'
// The renderers one by one, not the folder's index, the HTML and Markdown ones when asked for: the
// HTML one loads sanitize-html (postcss, htmlparser2), which a text diff never needs (start-up, issue #11).
import { describeDegradation } from '../notebooks/render/degraded.js'
import { renderNotebookDiffText } from '../notebooks/render/text.js'
import { writePrettyJson } from '../notebooks/render/json.js'
import { createDiffEngine, tuneForOneDiff, type EngineName } from '../engines/engine.js'

export interface CommandIo {
  stdout: (s: string) => void
  stderr: (s: string) => void
  /** Colour the text format (the CLI passes stdout.isTTY). */
  color: boolean
}

export const DIFF_USAGE = `Usage: tamer diff A.ipynb B.ipynb [options]
  --format text|json|html|markdown   (default text; json is nbdime's diff format)
  --engine native|nbdime             (default native; nbdime runs the installed nbdiff)
  --nbdiff PATH                      nbdiff executable for --engine nbdime
  --ignore-sources --ignore-outputs --ignore-attachments --ignore-metadata --ignore-id --ignore-details
  --color / --no-color
`

const FORMATS = ['text', 'json', 'html', 'markdown'] as const
type Format = (typeof FORMATS)[number]

/** Exit status: 0 whether or not the notebooks differ (like nbdiff), 1 for unreadable input, 2 for usage. */
export async function runDiffCommand(argv: string[], io: CommandIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(DIFF_USAGE)
    return 0
  }
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'text' },
        engine: { type: 'string', default: 'native' },
        nbdiff: { type: 'string' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        'ignore-sources': { type: 'boolean' },
        'ignore-outputs': { type: 'boolean' },
        'ignore-attachments': { type: 'boolean' },
        'ignore-metadata': { type: 'boolean' },
        'ignore-id': { type: 'boolean' },
        'ignore-details': { type: 'boolean' },
      },
    })
  } catch (err) {
    io.stderr(`tamer diff: ${(err as Error).message}\n${DIFF_USAGE}`)
    return 2
  }
  const { values: v, positionals } = parsed
  const format = v.format as Format
  if (positionals.length !== 2 || !FORMATS.includes(format) || (v.engine !== 'native' && v.engine !== 'nbdime')) {
    io.stderr(DIFF_USAGE)
    return 2
  }
  const options: DiffOptions = {
    ignoreSources: v['ignore-sources'],
    ignoreOutputs: v['ignore-outputs'],
    ignoreAttachments: v['ignore-attachments'],
    ignoreMetadata: v['ignore-metadata'],
    ignoreIds: v['ignore-id'],
    ignoreDetails: v['ignore-details'],
  }
  const color = v['no-color'] ? false : (v.color ?? io.color)
  return diffFiles(
    positionals[0]!,
    positionals[1]!,
    {
      format,
      engine: v.engine as EngineName,
      nbdiff: v.nbdiff,
      options,
      color,
      names: positionals as [string, string],
    },
    io,
  )
}

interface DiffFilesOptions {
  format: Format
  engine: EngineName
  nbdiff?: string
  options: DiffOptions
  color: boolean
  names: [string, string]
}

async function diffFiles(pathA: string, pathB: string, o: DiffFilesOptions, io: CommandIo): Promise<number> {
  tuneForOneDiff()
  // Bytes, not text: the engines parse them in less memory (notebooks/core/bytes.ts).
  const read = async (p: string) => (p === '/dev/null' ? JSON.stringify(EMPTY_NOTEBOOK) : readFile(p))
  const [ra, rb] = await Promise.allSettled([read(pathA), read(pathB)])
  if (ra.status === 'rejected' || rb.status === 'rejected') {
    const failed = (
      [
        [o.names[0], ra],
        [o.names[1], rb],
      ] as const
    ).flatMap(([name, r]) => (r.status === 'rejected' ? [{ name, why: unreadable(r.reason) }] : []))
    return cannotRead(failed, o, io)
  }
  const [a, b] = [ra.value, rb.value]
  const { engine, notice } = await createDiffEngine(o.engine, { command: o.nbdiff })
  if (notice) io.stderr(`tamer diff: ${notice}\n`)
  let result
  try {
    result = await engine.diff(a, b, { a: basename(o.names[0]), b: basename(o.names[1]) }, o.options)
  } catch (err) {
    // Bad input: say what is wrong, then show a plain-text diff so the reader still sees the change.
    io.stderr(`tamer diff: ${err instanceof NotebookParseError ? err.message : (err as Error).message}\n`)
    const { execa } = await import('execa')
    const plain = await execa('git', ['diff', '--no-index', '--no-color', '--', pathA, pathB], { reject: false })
    if (plain.stdout) io.stdout(`${plain.stdout}\n`)
    return 1
  }
  const [nameA, nameB] = o.names
  const degraded = result.degraded ?? []
  if (o.format === 'json') {
    // nbdime's format has no place for it: said on stderr, the JSON stays nbdime's.
    for (const d of degraded) io.stderr(`tamer diff: shown coarser: ${describeDegradation(d)}\n`)
    // In chunks, not one string the size of the output (notebooks/render/json.ts).
    writePrettyJson(result.diff, io.stdout)
    io.stdout('\n')
  } else if (o.format === 'html') {
    const { renderNotebookDiffHtml } = await import('../notebooks/render/html.js')
    io.stdout(renderNotebookDiffHtml({ base: result.base, diff: result.diff, nameA, nameB, degraded }))
  } else if (o.format === 'markdown') {
    const { renderNotebookSummaryMarkdown } = await import('../notebooks/render/markdown.js')
    io.stdout(renderNotebookSummaryMarkdown(nameB, result.base, result.diff, {}, degraded))
  } else {
    const text = renderNotebookDiffText(result.base, result.diff, { color: o.color, nameA, nameB, degraded })
    if (text) io.stdout(`${text}\n`)
  }
  return 0
}

/** Why a file cannot be read, in words (nbdiff says "Missing file", diff(1) "No such file or directory"). */
function unreadable(err: unknown): { words: string; missing: boolean } {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'ENOTDIR') return { words: 'no such file', missing: true }
  if (code === 'EACCES' || code === 'EPERM') return { words: 'permission denied', missing: false }
  if (code === 'EISDIR') return { words: 'is a directory, not a notebook', missing: false }
  return { words: code ?? (err as Error).message, missing: false }
}

/**
 * A file missing or unreadable: what the README promises, a diff that says so (text and Markdown;
 * JSON and HTML stay empty rather than malformed), the reason on stderr and exit 1, as nbdiff.
 * An added or deleted notebook is compared with /dev/null, which is what git passes a diff driver.
 */
function cannotRead(
  failed: { name: string; why: { words: string; missing: boolean } }[],
  o: DiffFilesOptions,
  io: CommandIo,
): number {
  for (const f of failed) io.stderr(`tamer diff: cannot read ${f.name}: ${f.why.words}\n`)
  if (failed.some((f) => f.why.missing))
    io.stderr('tamer diff: to show a notebook as added or deleted, compare it with /dev/null\n')
  const [nameA, nameB] = o.names
  if (o.format === 'text')
    io.stdout(
      [
        `nbdiff ${nameA} ${nameB}`,
        `--- ${nameA}`,
        `+++ ${nameB}`,
        ...failed.map((f) => `## not compared: ${f.name}: ${f.why.words}`),
        '',
      ].join('\n'),
    )
  else if (o.format === 'markdown')
    io.stdout(
      `${failed.map((f) => `### \`${f.name.replace(/`/g, "'")}\`\n_Not compared: ${f.why.words}._`).join('\n\n')}\n`,
    )
  return 1
}

/**
 * git's external diff protocol (GIT_EXTERNAL_DIFF / diff.<driver>.command):
 * `path old-file old-hex old-mode new-file new-hex new-mode`; /dev/null stands for a missing side.
 */
export async function runGitDiffDriver(argv: string[], io: CommandIo): Promise<number> {
  if (argv.length < 7) {
    io.stderr('tamer git-diff-driver: expects the 7 arguments git passes to a diff driver\n')
    return 2
  }
  const [path, oldFile, , , newFile] = argv as [string, string, string, string, string]
  const color = io.color || process.env['GIT_PAGER_IN_USE'] === 'true'
  return diffFiles(
    oldFile,
    newFile,
    { format: 'text', engine: 'native', options: {}, color, names: [`a/${path}`, `b/${argv[7] ?? path}`] },
    io,
  )
}
