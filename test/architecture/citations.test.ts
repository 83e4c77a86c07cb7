// Comments cite sources a reader can open (issue #10): an upstream repository and file, a URL, or the
// fact itself. Two kinds of reference point nowhere for someone with only this repository, and fail:
//  - a section sign not preceded by the standard it numbers (`RFC 3986 <section sign>3.2.1` is fine,
//    a bare one or one after a note's name is not), in comments and in string literals (test titles);
//  - a `*.md` path in a comment that is not a file of this repository, unless it sits in a URL or
//    right after the upstream repository that holds it (`fastify/fastify docs/Reference/Errors.md`).
// Comments and strings come from the TypeScript parser, so a `//` inside a string is not a comment.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SCANNED = ['src', 'test', 'bench']
const SECTION = '\u00a7'

/** Names that number their sections publicly: RFC 9110, ECMA-262, ISO 8601, ISO/IEC 9075-2, IEEE 754, POSIX. */
const STANDARD = /(?:\bRFC\s?\d+|\bECMA-\d+|\bISO(?:\/IEC)?\s?\d+(?:-\d+)?|\bIEEE\s?[\d.]+|\bPOSIX)/
/** Text just before a section sign: the standard, then maybe earlier numbers of it (`RFC 9110 §1, §2 and`). */
const CITED = new RegExp(`${STANDARD.source},?\\s*(?:${SECTION}\\s?[\\d.]+(?:,|\\s|and|or)*)*$`)
/** `owner/repo ` right before a path: the path is in that upstream repository. */
const UPSTREAM = /\b[\w.-]+\/[\w.-]+[ :]$/

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

interface Piece {
  kind: 'comment' | 'string'
  text: string
  /** Offset of `text` in the file. */
  pos: number
}

/** Every comment and string literal of a file (template pieces included), each once. */
function piecesOf(fileName: string, text: string): Piece[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS)
  const seen = new Set<number>()
  const pieces: Piece[] = []
  const comments = (ranges: ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue
      seen.add(r.pos)
      pieces.push({ kind: 'comment', text: text.slice(r.pos, r.end), pos: r.pos })
    }
  }
  const visit = (node: ts.Node): void => {
    comments(ts.getLeadingCommentRanges(text, node.pos))
    comments(ts.getTrailingCommentRanges(text, node.end))
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      pieces.push({ kind: 'string', text: node.getText(sf), pos: node.getStart(sf) })
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  comments(ts.getLeadingCommentRanges(text, sf.endOfFileToken.pos))
  return pieces
}

interface Problem {
  /** Offset in the piece. */
  at: number
  message: string
}

/**
 * What is wrong with one comment or string of `file`. `data` is the file's string literals: a
 * `*.md` name the file itself uses as data (a test's `notes.md`) may be named in its comments.
 */
function problemsOf(file: string, piece: Piece, data: string[] = []): Problem[] {
  const found: Problem[] = []
  for (const m of piece.text.matchAll(new RegExp(SECTION, 'g'))) {
    const before = piece.text.slice(0, m.index).split('\n').pop()!
    if (!CITED.test(before))
      found.push({ at: m.index, message: `section sign without a standard: ${excerpt(piece.text, m.index)}` })
  }
  if (piece.kind === 'comment') {
    for (const m of piece.text.matchAll(/[\w./-]*\w\.md\b/g)) {
      const before = piece.text.slice(0, m.index)
      const path = m[0]
      const word = /\S*$/.exec(before)![0] + path
      if (/https?:\/\//.test(word) || UPSTREAM.test(before)) continue
      const inRepo = [resolve(ROOT, path), resolve(dirname(file), path)].some(
        (p) => p.startsWith(ROOT + '/') && existsSync(p),
      )
      if (inRepo || data.some((d) => d.includes(path))) continue
      found.push({ at: m.index, message: `${path} is not a file of this repository: ${excerpt(piece.text, m.index)}` })
    }
  }
  return found
}

function excerpt(text: string, at: number): string {
  return text.slice(Math.max(0, at - 40), at + 30).replace(/\s+/g, ' ')
}

function lineOf(text: string, pos: number): number {
  return text.slice(0, pos).split('\n').length
}

t.test('the rule itself: what passes and what fails', async (t) => {
  const file = join(ROOT, 'src', 'x.ts')
  const c = (text: string): Problem[] => problemsOf(file, { kind: 'comment', text, pos: 0 })
  t.same(c(`// RFC 3986 ${SECTION}3.2.1: userinfo`), [])
  t.same(c(`// RFC 9110 ${SECTION}15.5 and ${SECTION}15.6`), [])
  t.same(c(`// see README.md and https://example.com/docs/a.md`), [])
  t.same(c(`// fastify/fastify docs/Reference/Errors.md`), [])
  t.equal(c(`// the queue gap (${SECTION}5.2)`).length, 1)
  t.equal(c(`// (doc ${SECTION}4.4)`).length, 1)
  t.equal(c(`// nbdime.md ${SECTION}6`).length, 2, 'both the section and the missing file')
  t.equal(c(`// ../shared/docs/machine-notes.md`).length, 1)
  t.same(
    problemsOf(file, { kind: 'comment', text: '// a.ipynb and notes.md', pos: 0 }, ["'notes.md'"]),
    [],
    'data named',
  )
  t.same(problemsOf(file, { kind: 'string', text: `'docs/x.md'`, pos: 0 }), [], 'a file name in data is data')
  t.equal(problemsOf(file, { kind: 'string', text: `'auth (${SECTION}2)'`, pos: 0 }).length, 1)
  const pieces = piecesOf('y.ts', `const a = '// not a comment' // a comment\n/** doc */ const b = \`x\${a}y\``)
  t.same(pieces.map((p) => `${p.kind} ${p.text}`).sort(), [
    'comment /** doc */',
    'comment // a comment',
    "string '// not a comment'",
    'string `x${',
    'string }y`',
  ])
})

t.test('comments in src/, test/ and bench/ cite only what a reader can open', async (t) => {
  const problems: string[] = []
  for (const dir of SCANNED) {
    for (const file of sourceFiles(join(ROOT, dir))) {
      const text = readFileSync(file, 'utf8')
      // Every problem is a section sign or a `x.md` in a comment or string, so in the file's text too:
      // only the files that hold one are parsed (most hold neither).
      if (!text.includes(SECTION) && !/\w\.md\b/.test(text)) continue
      const pieces = piecesOf(file, text)
      const data = pieces.filter((p) => p.kind === 'string').map((p) => p.text)
      for (const piece of pieces) {
        for (const p of problemsOf(file, piece, data)) {
          problems.push(`${relative(ROOT, file)}:${lineOf(text, piece.pos + p.at)}: ${p.message}`)
        }
      }
    }
  }
  t.same(problems, [], 'cite the upstream source (repository + file, or a URL) or write the fact down')
})
