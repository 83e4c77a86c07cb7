/**
 * Everything that stands between notebook content and a reader: HTML escaping, control-character
 * stripping, image validation and the sanitizer for notebook `text/html` outputs. Notebook outputs
 * are arbitrary HTML and JavaScript; nothing from a notebook may run in Tamer's pages (issue #3).
 * The page's Content-Security-Policy is the second wall: even markup that slipped through cannot
 * load or run anything.
 */
// The sanitizer itself is sanitize.ts: it loads sanitize-html (postcss, htmlparser2), which only HTML needs.

/** Served with every diff page. No script-src at all; images only as data: URIs; no forms, frames or base. */
export const DIFF_PAGE_CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
}

// CSI/OSC sequences, then any other C0/C1 control character except tab and newline.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g

/** Tracebacks carry ANSI colours; no escape sequence reaches a page or a terminal. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, '').replace(CONTROL, '')
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Long and base64 once whitespace is removed (nbdime snips these in text output). */
export function isBase64Blob(s: string): boolean {
  if (s.length < 64) return false
  const compact = s.replace(/\s+/g, '')
  return compact.length % 4 === 0 && BASE64.test(compact)
}

const IMAGE_MAGIC: Record<string, string> = {
  'image/png': 'iVBORw0KGgo', // \x89PNG\r\n\x1a\n
  'image/jpeg': '/9j/', // \xff\xd8\xff
}

/**
 * A `data:` URI for a PNG or JPEG output, or null when the value is not strictly base64 of an
 * image of that type. Other image types (SVG can carry script) are never shown as images.
 */
export function imageDataUri(mime: string, value: unknown): string | null {
  const magic = IMAGE_MAGIC[mime]
  if (!magic || typeof value !== 'string') return null
  const compact = value.replace(/[\r\n]+/g, '')
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact) || !compact.startsWith(magic))
    return null
  return `data:${mime};base64,${compact}`
}
