/**
 * Reading notebooks the way nbdime does (`nbformat.read(f, as_version=4)`, nbformat 5.x):
 * v4 is kept at its minor version, line lists are joined, transient keys are stripped, and v3 is
 * upgraded (worksheets → cells, heading → markdown, input → source, pyout → execute_result …).
 *
 * Deliberate difference: nbformat gives random ids to cells of upgraded v3 notebooks and to
 * missing/duplicate ids in ≥4.5 notebooks. We give deterministic ids derived from the file's
 * text and the cell index, and never align cells by them (a random id never matches either).
 */
import { hash53, isObject, setFlavor } from './json.js'
import type { JsonObject, JsonValue, Notebook } from './model.js'
import { splitLines } from './text.js'
import { jsonText } from './bytes.js'

export class NotebookParseError extends Error {
  readonly code = 'NOTEBOOK_PARSE_ERROR'
  readonly notebook: string
  readonly reason: string

  constructor(notebook: string, reason: string) {
    super(`could not parse ${notebook}: ${reason}`)
    this.notebook = notebook
    this.reason = reason
    this.name = 'NotebookParseError'
  }
}

/** Cells whose id was invented while reading (never used to align cells). */
export const unmatchableIds = new WeakSet<object>()

export interface ParseOptions {
  /**
   * Bytes only: they may be emptied (bytes.ts releaseBytes) as soon as their JSON text is made,
   * so a file's bytes are not held while it is parsed (the engines own what they are given).
   */
  consume?: boolean
  /** Told the length of the JSON text parsed (bytes: what is left once long strings are out, bytes.ts). */
  onText?: (length: number) => void
}

/**
 * Parse a notebook, JSON text or its UTF-8 bytes (what a file holds), into an nbformat-4 notebook,
 * or throw `NotebookParseError`. Bytes take less memory: see bytes.ts.
 */
export function parseNotebook(input: string | Uint8Array, name: string, options: ParseOptions = {}): Notebook {
  const fail = (reason: string): never => {
    throw new NotebookParseError(name, reason)
  }
  if (input instanceof Uint8Array) {
    const text = jsonText(input, options.consume)
    options.onText?.(text.body.length)
    try {
      return parseText(text.body, text.escaped, text.source, text.restore, fail)
    } finally {
      text.release()
    }
  }
  if (typeof input !== 'string') return fail('input is not text')
  options.onText?.(input.length)
  return parseText(
    withoutBom(input),
    false,
    () => input,
    (x) => x,
    fail,
  )
}

/**
 * `body` parsed and read as a notebook. `source`: the file's text as read (for the ids invented
 * from it); `escaped`: whether `body` differs from it; `restore`: what JSON.parse made of `body`
 * made whole (bytes.ts takes long strings out).
 */
function parseText(
  body: string,
  escaped: boolean,
  source: () => string,
  restore: (parsed: unknown) => unknown,
  fail: Fail,
): Notebook {
  if (body.trim() === '') fail('the file is empty')
  let raw: unknown
  try {
    raw = restore(JSON.parse(body))
  } catch (e) {
    // The escaped text's error positions are not the file's: the message comes from the file's text. And
    // the file's text is what counts: a quote-free stretch of 4 KB that is not a string (a long list of
    // numbers in a minified file) can be taken out as one (bytes.ts), which leaves `body` invalid.
    const message = (err: unknown) => (err instanceof Error ? err.message : String(err))
    let why = message(e)
    if (escaped) {
      try {
        body = withoutBom(source())
        raw = JSON.parse(body)
      } catch (e2) {
        why = message(e2)
      }
    }
    if (raw === undefined) fail(`not valid JSON (${why})`)
  }
  if (!isObject(raw)) fail(`not a notebook: the top-level JSON value is ${describe(raw)}, not an object`)
  if (nestedDeeperThan(body, MAX_DEPTH)) fail(`nested deeper than ${MAX_DEPTH} levels`)
  const nb = raw as JsonObject
  const major = nb['nbformat'] ?? 1
  const minor = nb['nbformat_minor'] ?? 0
  if (typeof major !== 'number' || !Number.isInteger(major)) fail(`not a notebook: "nbformat" is ${describe(major)}`)
  if (typeof minor !== 'number' || !Number.isInteger(minor))
    fail(`not a notebook: "nbformat_minor" is ${describe(minor)}`)
  if (major === 4) return readV4(nb, minor as number, source, fail)
  if (major === 3) return upgradeV3(nb, source, fail)
  if (major === 1 || major === 2) {
    if (!('nbformat' in nb)) fail('not a notebook: no "nbformat" version and no "cells"')
    return fail(`nbformat ${major} notebooks are not supported (only 3 and 4)`)
  }
  return fail(`unsupported nbformat version ${major}`)
}

type Fail = (reason: string) => never

const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)

/**
 * Reading, diffing and rendering recurse once per level; JSON.parse does not, so a deeper file
 * would end in a stack overflow after it parsed. nbformat cannot read one either: Python's json
 * stops at its recursion limit of 1,000.
 */
const MAX_DEPTH = 1000

/** Whether valid JSON text nests arrays/objects deeper than `limit`; strings are skipped whole. */
function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      // The closing quote is the next one not preceded by an odd run of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1)
        if (i < 0) return false
        let k = i - 1
        while (text.charCodeAt(k) === 0x5c) k--
        if ((i - 1 - k) % 2 === 0) break
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${JSON.stringify(v)}`.slice(0, 60)
}

/** `"".join(lines)` when `v` is a list of strings. */
function joined(v: JsonValue | undefined, fail: Fail, what: string): JsonValue | undefined {
  if (!Array.isArray(v)) return v
  if (!v.every((s) => typeof s === 'string')) fail(`${what} is a list with non-string items`)
  return v.join('')
}

const isJsonMime = (mime: string) =>
  mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'))

function rejoinBundle(bundle: JsonValue | undefined): void {
  if (!isObject(bundle)) return
  for (const [k, v] of Object.entries(bundle)) {
    if (!isJsonMime(k) && Array.isArray(v) && v.every((s) => typeof s === 'string')) bundle[k] = v.join('')
  }
}

function readV4(nb: JsonObject, minor: number, text: () => string, fail: Fail): Notebook {
  const cells = nb['cells']
  if (!Array.isArray(cells)) fail('not a notebook: missing the "cells" list')
  const meta = nb['metadata']
  if (!isObject(meta)) fail('not a notebook: missing the "metadata" object')
  ;(cells as JsonValue[]).forEach((cell, index) => {
    if (!isObject(cell)) fail(`cell ${index} is not an object`)
    const c = cell as JsonObject
    if (!isObject(c['metadata'])) fail(`cell ${index} is missing its "metadata" object`)
    if ('source' in c) c['source'] = joined(c['source'], fail, `cell ${index} source`) as JsonValue
    const attachments = c['attachments']
    if (isObject(attachments)) for (const att of Object.values(attachments)) rejoinBundle(att)
    if (c['cell_type'] === 'code' && Array.isArray(c['outputs'])) {
      for (const out of c['outputs']) {
        if (!isObject(out)) fail(`an output of cell ${index} is not an object`)
        const o = out as JsonObject
        const ot = o['output_type']
        if (ot === 'execute_result' || ot === 'display_data') rejoinBundle(o['data'])
        else if (ot && Array.isArray(o['text']))
          o['text'] = joined(o['text'], fail, `an output of cell ${index}`) as JsonValue
      }
    }
  })
  // strip_transient
  const m = meta as JsonObject
  delete m['orig_nbformat']
  delete m['orig_nbformat_minor']
  delete m['signature']
  for (const c of cells as JsonObject[]) delete (c['metadata'] as JsonObject)['trusted']
  checkShape(cells as JsonObject[], fail)
  if (minor >= 5) repairIds(cells as JsonObject[], text)
  return nb as Notebook
}

/**
 * The fields the diff and the pages dispatch on have nbformat 4's types (nbformat.v4.schema.json).
 * nbformat only logs a notebook that breaks them as invalid; diffing or rendering one threw.
 */
function checkShape(cells: JsonObject[], fail: Fail): void {
  cells.forEach((c, index) => {
    if (typeof c['cell_type'] !== 'string') fail(`cell ${index} has no "cell_type" string`)
    if ('source' in c && typeof c['source'] !== 'string') fail(`cell ${index} "source" is not text`)
    if ('attachments' in c && !isObject(c['attachments'])) fail(`cell ${index} "attachments" is not an object`)
    // Any cell's: the pages show a markdown cell that became a code cell with both sides' outputs.
    if (!('outputs' in c)) return
    if (!Array.isArray(c['outputs'])) fail(`cell ${index} "outputs" is not a list`)
    for (const o of c['outputs'] as JsonObject[]) {
      if (!isObject(o)) fail(`an output of cell ${index} is not an object`)
      if (typeof o['output_type'] !== 'string') fail(`an output of cell ${index} has no "output_type" string`)
      if ('data' in o && !isObject(o['data'])) fail(`an output of cell ${index} has "data" that is not an object`)
    }
  })
}

/** nbformat's validator: ≥4.5 cells without an id, or with an id seen before, get a new id. */
function repairIds(cells: JsonObject[], text: () => string): void {
  const seen = new Set<JsonValue>()
  const file = lazyTextHash(text)
  cells.forEach((c, index) => {
    if (!('id' in c)) inventId(c, file, index)
  })
  cells.forEach((c, index) => {
    const id = c['id'] as JsonValue
    if (seen.has(id) && !unmatchableIds.has(c)) inventId(c, file, index)
    else seen.add(id)
  })
}

/** The file's hash, computed once: hashing the whole text per invented id was quadratic. */
function lazyTextHash(text: () => string): () => number {
  let h: number | undefined
  return () => (h ??= hash53(text()))
}

function inventId(cell: JsonObject, file: () => number, index: number): void {
  // nbformat's invented ids are 8 hex digits too.
  cell['id'] = (hash53(`${index}\u0000${file()}`) % 0x100000000).toString(16).padStart(8, '0')
  unmatchableIds.add(cell)
}

// ---- nbformat 3 → 4 (nbformat/v3/rwbase.py rejoin_lines, nbformat/v4/convert.py upgrade) ----

function markFlavor(v: JsonValue | undefined, flavor: 'v3' | 'plain'): void {
  if (Array.isArray(v)) for (const x of v) markFlavor(x, flavor)
  else if (isObject(v)) {
    setFlavor(v, flavor)
    for (const x of Object.values(v)) markFlavor(x, flavor)
  }
}

/** v3 `_join_lines`: lines from `splitlines(True)` are concatenated, else joined with "\n". */
function joinLinesV3(v: JsonValue | undefined, fail: Fail, what: string): JsonValue | undefined {
  if (!Array.isArray(v)) return v
  if (!v.every((s) => typeof s === 'string')) fail(`${what} is a list with non-string items`)
  const lines = v as string[]
  if (lines.length && /[\n\r]$/.test(lines[0] as string)) return lines.join('')
  return lines.join('\n')
}

const MULTILINE_OUTPUTS_V3 = ['text', 'html', 'svg', 'latex', 'javascript', 'json']
const MIME_MAP_V3: [string, string][] = [
  ['text', 'text/plain'],
  ['html', 'text/html'],
  ['svg', 'image/svg+xml'],
  ['png', 'image/png'],
  ['jpeg', 'image/jpeg'],
  ['latex', 'text/latex'],
  ['json', 'application/json'],
  ['javascript', 'application/javascript'],
]

function toMimeKeys(d: JsonObject): void {
  for (const [alias, mime] of MIME_MAP_V3) {
    if (alias in d) {
      const v = d[alias] as JsonValue
      delete d[alias]
      d[mime] = v
    }
  }
}

function upgradeV3(nb: JsonObject, text: () => string, fail: Fail): Notebook {
  markFlavor(nb, 'v3')
  const worksheets = nb['worksheets'] ?? []
  if (!Array.isArray(worksheets)) fail('"worksheets" is not a list')
  const meta = nb['metadata']
  if (!isObject(meta)) fail('not a notebook: missing the "metadata" object')
  const cells: JsonObject[] = []
  for (const ws of worksheets as JsonValue[]) {
    if (!isObject(ws) || !Array.isArray(ws['cells'])) fail('a worksheet has no "cells" list')
    for (const cell of (ws as JsonObject)['cells'] as JsonValue[]) {
      if (!isObject(cell)) fail(`cell ${cells.length} is not an object`)
      cells.push(upgradeCellV3(cell as JsonObject, cells.length, fail))
    }
  }
  const m = meta as JsonObject
  const origMajor = nb['orig_nbformat']
  const origMinor = nb['orig_nbformat_minor']
  delete nb['orig_nbformat']
  delete nb['orig_nbformat_minor']
  m['orig_nbformat'] = origMajor || 3
  m['orig_nbformat_minor'] = origMinor || 0
  nb['nbformat'] = 4
  nb['nbformat_minor'] = 5
  delete nb['worksheets']
  nb['cells'] = cells
  delete m['name']
  delete m['signature']
  checkShape(cells, fail)
  const file = lazyTextHash(text)
  cells.forEach((c, index) => inventId(c, file, index))
  return nb as Notebook
}

function upgradeCellV3(cell: JsonObject, index: number, fail: Fail): JsonObject {
  const what = `cell ${index}`
  // v3 rejoin_lines
  if (cell['cell_type'] === 'code') {
    if (Array.isArray(cell['input'])) cell['input'] = joinLinesV3(cell['input'], fail, `${what} input`) as JsonValue
    if (!Array.isArray(cell['outputs'])) fail(`${what} has no "outputs" list`)
    for (const out of cell['outputs'] as JsonValue[]) {
      if (!isObject(out)) fail(`an output of ${what} is not an object`)
      const o = out as JsonObject
      for (const key of MULTILINE_OUTPUTS_V3) {
        if (Array.isArray(o[key])) o[key] = joinLinesV3(o[key], fail, `an output of ${what}`) as JsonValue
      }
    }
  } else {
    for (const key of ['source', 'rendered']) {
      if (Array.isArray(cell[key])) cell[key] = joinLinesV3(cell[key], fail, `${what} ${key}`) as JsonValue
    }
  }
  // v4 upgrade_cell
  if (!isObject(cell['metadata'])) cell['metadata'] = {}
  const type = cell['cell_type']
  if (type === 'code') {
    delete cell['language']
    if ('collapsed' in cell) {
      ;(cell['metadata'] as JsonObject)['collapsed'] = cell['collapsed'] as JsonValue
      delete cell['collapsed']
    }
    cell['source'] = 'input' in cell ? (cell['input'] as JsonValue) : ''
    delete cell['input']
    cell['execution_count'] = 'prompt_number' in cell ? (cell['prompt_number'] as JsonValue) : null
    delete cell['prompt_number']
    cell['outputs'] = (cell['outputs'] as JsonObject[]).map((o) => upgradeOutputV3(o, fail, what))
  } else if (type === 'heading') {
    cell['cell_type'] = 'markdown'
    const level = 'level' in cell ? cell['level'] : 1
    delete cell['level']
    const source = typeof cell['source'] === 'string' ? cell['source'] : ''
    // Headings are H1–H6; a huge level made a string too long to allocate (a RangeError), and
    // Python's '#' * n gives '' for a negative one.
    const n = Math.trunc(Number(level)) || 0
    if (n > 6) fail(`${what} is a heading of level ${n}, not 1 to 6`)
    cell['source'] = `${'#'.repeat(Math.max(0, n))} ${splitLines(source).join(' ')}`
  } else if (type === 'html') {
    cell['cell_type'] = 'markdown'
  }
  return cell
}

function upgradeOutputV3(o: JsonObject, fail: Fail, what: string): JsonObject {
  const ot = o['output_type']
  if (ot === 'pyout' || ot === 'display_data') {
    if (!('metadata' in o)) o['metadata'] = {}
    if (ot === 'pyout') {
      o['output_type'] = 'execute_result'
      o['execution_count'] = 'prompt_number' in o ? (o['prompt_number'] as JsonValue) : null
      delete o['prompt_number']
    }
    const data: JsonObject = {}
    setFlavor(data, 'plain')
    for (const key of Object.keys(o)) {
      if (key === 'output_type' || key === 'execution_count' || key === 'metadata') continue
      data[key] = o[key] as JsonValue
      delete o[key]
    }
    toMimeKeys(data)
    o['data'] = data
    if (isObject(o['metadata'])) toMimeKeys(o['metadata'])
    if (typeof data['application/json'] === 'string') {
      try {
        const parsed = JSON.parse(data['application/json']) as JsonValue
        markFlavor(parsed, 'plain')
        data['application/json'] = parsed
      } catch {
        fail(`an output of ${what} has invalid application/json data`)
      }
    }
  } else if (ot === 'pyerr') {
    o['output_type'] = 'error'
  } else if (ot === 'stream') {
    o['name'] = 'stream' in o ? (o['stream'] as JsonValue) : 'stdout'
    delete o['stream']
  }
  return o
}
