// Server-rendered HTML for the console (issue #14): one tagged template, `html`, escapes every value it
// is given with the one escaping function of the diff pages (notebooks/render/safe.ts); only fragments
// made by `html` itself pass through as they are. No other way to write markup exists here.
import { escapeHtml } from '../notebooks/render/safe.js'

/** Markup made by `html` (its values escaped): the only thing interpolated without escaping. */
export class Html {
  readonly value: string

  constructor(value: string) {
    this.value = value
  }
  toString(): string {
    return this.value
  }
}

export type Part = Html | string | number | boolean | null | undefined | readonly Part[]

function render(v: Part): string {
  if (v === null || v === undefined || v === false) return ''
  if (v instanceof Html) return v.value
  if (Array.isArray(v)) return (v as readonly Part[]).map(render).join('')
  return escapeHtml(String(v))
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!
  return new Html(out)
}

/**
 * The console's Content-Security-Policy: scripts, styles and fetches from Tamer itself only (one script
 * file, one style sheet, the build page's event stream), no inline code, forms only to Tamer, never framed.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

/** A time the viewer's browser shows in its own zone (console.js); the ISO value stays on hover. */
export function time(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">–</span>`
  return html`<time datetime="${iso}" title="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`
}

/** A link path with each segment percent-encoded (names with slashes, spaces, `;` stay one segment). */
export function path(...segments: string[]): string {
  return segments.map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/')
}

/** A query string of the set values, for shareable filter links. */
export function query(q: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}
