// The frame of every console page: a skip link, the navigation (the current page marked for screen
// readers), the sign-out form and the page's content. Phones get the viewport meta and one column.
import { html, query, type Html, type Part } from './html.js'
import type { Session } from './session.js'

export const NAV = [
  { href: '/ui/deliveries', label: 'Deliveries' },
  { href: '/ui/builds', label: 'Builds' },
  { href: '/ui/repos', label: 'Repositories' },
  { href: '/ui/schedules', label: 'Schedules' },
  { href: '/ui/dead-letters', label: 'Dead letters' },
] as const

export interface PageOptions {
  title: string
  /** Which NAV entry is this page's section. */
  section?: (typeof NAV)[number]['href']
  session?: Session | null
  /**
   * Seconds after which the page reloads itself (a run whose builds are not planned yet), or `0;url=…`: a
   * page that moves on at once (after an OIDC sign-in: oidc.ts signedInPage).
   */
  refresh?: number | string
}

export function page(o: PageOptions, body: Part): Html {
  const nav = o.session
    ? html`<nav aria-label="Sections">
          ${NAV.map(
            (n) => html`<a href="${n.href}" ${o.section === n.href ? html` aria-current="page"` : ''}>${n.label}</a>`,
          )}
        </nav>
        <form class="inline" method="post" action="/ui/logout">
          <input type="hidden" name="_csrf" value="${o.session.csrf}" /><span class="muted">${o.session.actor}</span>
          <button type="submit">Sign out</button>
        </form>`
    : ''
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        ${o.refresh ? html`<meta http-equiv="refresh" content="${o.refresh}" />` : ''}
        <title>${o.title} · Tamer</title>
        <link rel="icon" href="/ui/static/favicon.svg" />
        <link rel="stylesheet" href="/ui/static/console.css" />
        <script src="/ui/static/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top"><strong>Tamer</strong>${nav}</header>
        <main id="main" tabindex="-1">${body}</main>
      </body>
    </html> `
}

/** Older/newest links of a newest-first list; `next` is the store's cursor (the last row's seq). */
export function pager(base: string, params: Record<string, string | undefined>, next: number | null): Html {
  const older =
    next === null ? '' : html`<a href="${base + query({ ...params, cursor: next })}" rel="next">Older →</a> · `
  return html`<p class="pager">${older}<a href="${base + query(params)}">Newest</a></p>`
}

export function badge(value: string | null | undefined, kind?: 'bad' | 'good' | 'warn'): Html {
  return html`<span class="badge${kind ? ` ${kind}` : ''}">${value ?? '–'}</span>`
}

/** A build's result or state as a badge coloured by its result. */
export function resultBadge(b: { state: string; result: string | null }, field = true): Html {
  return html`<span class="badge" data-result="${b.result ?? ''}" ${field ? html` data-field="status"` : ''}
    >${b.result ?? b.state}</span
  >`
}
