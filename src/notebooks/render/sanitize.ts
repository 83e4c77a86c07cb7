// The sanitizer for notebook `text/html` outputs (see safe.ts for the rest of the wall). Apart from
// safe.ts because sanitize-html loads postcss and htmlparser2: the text and Markdown renderers, and
// `tamer diff`, start without them; and loaded on the first HTML output, not with the service.
import { createRequire } from 'node:module'
import type SanitizeHtml from 'sanitize-html'

const require = createRequire(import.meta.url)
let sanitizeHtml: typeof SanitizeHtml | undefined

/**
 * Notebook HTML (pandas tables, rich reprs) reduced to inert markup: tables and text formatting,
 * no attributes that carry URLs, styles or handlers, no scripts, frames, forms, SVG or MathML.
 */
export function sanitizeNotebookHtml(html: string): string {
  sanitizeHtml ??= require('sanitize-html') as typeof SanitizeHtml
  return sanitizeHtml(html, {
    allowedTags: [
      'table',
      'thead',
      'tbody',
      'tfoot',
      'tr',
      'th',
      'td',
      'caption',
      'colgroup',
      'col',
      'p',
      'div',
      'span',
      'br',
      'hr',
      'pre',
      'code',
      'b',
      'i',
      'em',
      'strong',
      'small',
      'sub',
      'sup',
      'ul',
      'ol',
      'li',
      'dl',
      'dt',
      'dd',
      'h1',
      'h2',
      'h3',
      'h4',
      'h5',
      'h6',
      'blockquote',
    ],
    allowedAttributes: { th: ['colspan', 'rowspan'], td: ['colspan', 'rowspan'], col: ['span'], colgroup: ['span'] },
    allowedSchemes: [],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    // The text inside dropped <script>/<style>/<textarea> is dropped too, not shown.
    nonTextTags: [
      'script',
      'style',
      'textarea',
      'option',
      'noscript',
      'iframe',
      'object',
      'embed',
      'svg',
      'math',
      'template',
    ],
  })
}
