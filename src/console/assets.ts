// The console's only style sheet and script, served by Tamer (CSP 'self'; nothing inline, nothing from a
// CDN). The script is an enhancement: every page works without it, times then read in UTC.
import { createHash } from 'node:crypto'

export const CONSOLE_CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--accent:#0969da;--bad:#cf222e;--good:#1a7f37;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus,button:focus,input:focus,select:focus,summary:focus{outline:3px solid #ffa657;outline-offset:1px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
header.top{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;padding:8px 16px;border-bottom:1px solid var(--line);background:#f6f8fa}
header.top nav{display:flex;flex-wrap:wrap;gap:4px 14px}
header.top nav a[aria-current=page]{font-weight:700;text-decoration:none;color:var(--fg)}
header.top form{margin-left:auto}
main{padding:12px 16px;max-width:1200px}
h1{font-size:1.35em;margin:.4em 0}h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.9em}
.wrap{overflow-x:auto}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
pre{background:#f6f8fa;border:1px solid var(--line);padding:8px;overflow:auto;max-height:28em;white-space:pre-wrap;word-break:break-word}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:0 6px;border-radius:10px;border:1px solid var(--line);font-size:.85em;white-space:nowrap}
.badge.bad,.badge[data-result=FAILURE]{color:var(--bad);border-color:var(--bad)}
.badge.good,.badge[data-result=SUCCESS]{color:var(--good);border-color:var(--good)}
.badge.warn,.badge[data-result=UNSTABLE]{color:var(--warn);border-color:var(--warn)}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin:8px 0}
form.filters label{display:flex;flex-direction:column;font-size:.85em;color:var(--muted)}
input,select,button{font:inherit;padding:4px 8px}
button{cursor:pointer}
form.inline{display:inline}
.flash{padding:8px;border:1px solid var(--good);background:#dafbe1;margin:8px 0}
.error{padding:8px;border:1px solid var(--bad);background:#ffebe9;margin:8px 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.pager{margin:10px 0}
@media (max-width:640px){body{font-size:16px}main{padding:8px}th,td{padding:4px}.hide-sm{display:none}
dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:6px}}
`

export const CONSOLE_JS = `'use strict';
(function () {
  function pad(n) { return String(n).padStart(2, '0') }
  function local(d) {
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds())
  }
  var zone = (Intl.DateTimeFormat().resolvedOptions().timeZone) || 'local time'
  function localize(root) {
    root.querySelectorAll('time[datetime]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'))
      if (isNaN(d.getTime())) return
      t.textContent = local(d)
      t.title = local(d) + ' ' + zone + ' (' + d.toISOString() + ')'
    })
  }
  localize(document)
  var live = document.querySelector('[data-events]')
  if (live && window.EventSource) {
    var es = new EventSource(live.getAttribute('data-events'))
    es.addEventListener('build', function (ev) {
      var b = JSON.parse(ev.data)
      Object.keys(b).forEach(function (k) {
        document.querySelectorAll('[data-field="' + k + '"]').forEach(function (el) {
          var v = b[k]
          if (el.tagName === 'TIME') { el.setAttribute('datetime', v || ''); el.textContent = v || '' }
          else el.textContent = v === null || v === undefined || v === '' ? '–' : String(v)
          if (el.hasAttribute('data-result')) el.setAttribute('data-result', v || '')
        })
      })
      live.setAttribute('data-live-state', b.state || '')
      localize(document)
      if (b.ended) es.close()
    })
  }
})();
`

/** So that browsers do not ask for /favicon.ico (a 404) on every page. */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0969da"/>' +
  '<path d="M4 4h8v2H9v6H7V6H4z" fill="#fff"/></svg>'

const etag = (s: string) => `"${createHash('sha256').update(s).digest('base64url').slice(0, 16)}"`
export const ASSETS = {
  'console.css': { body: CONSOLE_CSS, type: 'text/css; charset=utf-8', etag: etag(CONSOLE_CSS) },
  'console.js': { body: CONSOLE_JS, type: 'text/javascript; charset=utf-8', etag: etag(CONSOLE_JS) },
  'favicon.svg': { body: FAVICON, type: 'image/svg+xml', etag: etag(FAVICON) },
} as const
