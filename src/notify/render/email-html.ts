// The HTML part of a notice mail: simple tables and inline styles (mail clients drop <style>),
// every piece of text escaped, links only to http(s).
import { facts, headline, shortSha, TEST_NOTICE_NOTE, type Notice } from '../model.js'
import { escapeHtml as e, safeHref } from './html-escape.js'
import { CHART_CID } from '../../metrics/chart-png.js'
import { CHART_HEIGHT, CHART_WIDTH } from '../../metrics/chart.js'

const COLOR: Record<Notice['outcome'], string> = {
  'first-failure': '#d93f0b',
  'still-failing': '#b60205',
  fixed: '#2ea44f',
  unstable: '#dbab09',
  aborted: '#6a737d',
}

const a = (url: string | null, text: string) => {
  const href = safeHref(url)
  return href ? `<a href="${e(href)}">${e(text)}</a>` : e(text)
}

export function renderEmailHtml(n: Notice): string {
  const rows = facts(n).map(
    ([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${e(k)}</th><td>${e(v)}</td></tr>`,
  )
  if (n.buildUrl)
    rows.push(
      `<tr><th align="left" style="padding:2px 12px 2px 0">Build</th><td>${a(n.buildUrl, `${n.job}${n.buildNumber !== null ? ` #${n.buildNumber}` : ''}`)}</td></tr>`,
    )
  const parts = [
    `<h2 style="margin:0 0 8px;border-left:6px solid ${COLOR[n.outcome]};padding-left:8px">${e(headline(n))}</h2>`,
    `<table cellspacing="0" cellpadding="0" style="font-size:14px">${rows.join('')}</table>`,
  ]
  if (n.test)
    parts.splice(
      1,
      0,
      `<p style="background:#fff8c5;border:1px solid #d4a72c;padding:8px"><strong>${e(TEST_NOTICE_NOTE)}</strong></p>`,
    )
  if (n.commits.length > 0) {
    const items = n.commits.map(
      (c) =>
        `<li><code>${a(c.url, shortSha(c.id))}</code> ${e(c.message)} <span style="color:#666">(${e(c.author)})</span></li>`,
    )
    if (n.moreCommits > 0) items.push(`<li>… and ${n.moreCommits} more</li>`)
    parts.push(`<h3>Changes</h3><ul>${items.join('')}</ul>`)
  }
  if (n.failedTests.length > 0)
    parts.push(`<h3>Failed tests</h3><ul>${n.failedTests.map((t) => `<li><code>${e(t)}</code></li>`).join('')}</ul>`)
  if (n.signoffs?.length) parts.push(`<h3>Sign-off</h3><ul>${n.signoffs.map((l) => `<li>${e(l)}</li>`).join('')}</ul>`)
  if (n.parity?.length) {
    const [head, ...lines] = n.parity
    parts.push(
      `<h3>${e(head!)}</h3>` +
        (lines.length > 0 ? `<pre style="white-space:pre-wrap;font-size:13px">${e(lines.join('\n'))}</pre>` : ''),
    )
  }
  if (n.metricTable) {
    const t = n.metricTable
    const color = (s: string) => (s === 'FAIL' ? '#b60205' : s === 'pass' ? '#2ea44f' : '#666')
    const rows = t.rows.map(
      (r) =>
        `<tr><td>${e(r.metric)}</td><td>${e(r.value)}</td><td>${e(r.threshold)}</td><td>${e(r.baseline)}</td><td>${e(r.delta)}</td><td style="color:${color(r.status)}">${e(r.status)}</td></tr>`,
    )
    const reasons = t.rows.filter((r) => r.status === 'FAIL' && r.reason).map((r) => `<li>${e(r.reason!)}</li>`)
    parts.push(
      `<h3>Metric gate: ${t.pass ? 'passed' : 'failed'}</h3>` +
        (t.baseline ? `<p>Compared with the default branch's latest green build, ${e(t.baseline)}.</p>` : '') +
        `<table cellpadding="3"><tr><th>metric</th><th>value</th><th>threshold</th><th>default branch</th><th>delta</th><th></th></tr>${rows.join('')}</table>` +
        (reasons.length > 0 ? `<ul>${reasons.join('')}</ul>` : '') +
        (t.more > 0 ? `<p>… and ${t.more} more metrics</p>` : '') +
        // The chart travels as an inline PNG attachment (src/notify/channels/email.ts).
        (n.chartSvg
          ? `<p><img src="cid:${CHART_CID}" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" alt="Metric chart"></p>`
          : ''),
    )
  }
  if (n.metrics.length > 0) {
    const r = n.metrics.map(
      (m) =>
        `<tr><td>${e(m.name)}</td><td>${e(m.value)}</td><td>${e(m.min ?? '–')}</td><td>${e(m.max ?? '–')}</td><td style="color:${m.ok ? '#2ea44f' : '#b60205'}">${m.ok ? 'ok' : 'FAIL'}</td></tr>`,
    )
    parts.push(
      `<h3>Metric gate</h3><table cellpadding="3"><tr><th>metric</th><th>value</th><th>min</th><th>max</th><th></th></tr>${r.join('')}</table>`,
    )
  }
  if (n.notebookSummaryText || n.diffUrl) {
    parts.push('<h3>Notebooks</h3>')
    // The plain-text summary, preformatted and escaped: nothing in it is markup, and no Markdown marks show.
    if (n.notebookSummaryText)
      parts.push(`<pre style="white-space:pre-wrap;font-size:13px">${e(n.notebookSummaryText)}</pre>`)
    if (n.diffUrl) parts.push(`<p>${a(n.diffUrl, 'Open the notebook diff')}</p>`)
  }
  if (n.logExcerpt)
    parts.push(
      `<h3>Console (last lines)</h3><pre style="background:#f6f8fa;padding:8px;font-size:12px;overflow:auto">${e(n.logExcerpt)}</pre>`,
    )
  parts.push(`<p style="color:#666;font-size:12px">Tamer · ${e(n.tenant)}</p>`)
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${e(headline(n))}</title></head><body style="font-family:sans-serif">${parts.join('\n')}</body></html>`
}
