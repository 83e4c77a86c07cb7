// Builds: the list (state and job in the URL) and one build, whose state, result, failing stage and
// tests follow the pipeline live (console.js listens to /ui/builds/:id/events, Server-Sent Events).
import type { MetricReport } from '../../store/metrics.js'
import { BUILD_STATES, type BuildRecord, type RecordedRun } from '../../store/builds.js'
import type { NotificationRecord } from '../../store/notifications.js'
import type { Mask } from '../../security/secrets.js'
import { html, path, time, type Html } from '../html.js'
import { page, pager, resultBadge } from '../layout.js'
import type { Session } from '../session.js'
import { buildsTable, noticesTable } from './deliveries.js'

export function buildsPage(
  session: Session,
  f: { state?: string; job?: string },
  rows: readonly BuildRecord[],
  next: number | null,
): Html {
  return page(
    { title: 'Builds', section: '/ui/builds', session },
    html`<h1>Builds</h1>
      <form class="filters" method="get" action="/ui/builds" role="search">
        <label
          >State<select name="state">
            <option value="">any</option>
            ${BUILD_STATES.map((s) => html`<option${s === f.state ? html` selected` : ''}>${s}</option>`)}
          </select></label
        >
        <label>Job<input name="job" value="${f.job ?? ''}" size="28" /></label>
        <button type="submit">Filter</button> <a href="/ui/builds">Clear</a>
      </form>
      ${buildsTable(rows)} ${pager('/ui/builds', { state: f.state, job: f.job }, next)}`,
  )
}

/** What the live page shows of a build; the event stream sends the same fields. */
export function liveFields(b: BuildRecord, mask: Mask) {
  return {
    status: b.result ?? b.state,
    state: b.state,
    result: b.result,
    buildNumber: b.buildNumber === null ? null : `#${b.buildNumber}`,
    failingStage: b.failingStage,
    tests: b.tests ? `${b.tests.failed} failed, ${b.tests.skipped} skipped of ${b.tests.total}` : null,
    duration: b.durationMs === null ? null : `${(b.durationMs / 1000).toFixed(1)} s`,
    updatedAt: b.updatedAt,
    lastError: b.lastError === null ? null : mask(b.lastError),
    logTail: b.logTail === null ? null : mask(b.logTail),
  }
}

export function buildPage(
  session: Session,
  b: BuildRecord,
  mask: Mask,
  runs: readonly RecordedRun[],
  metrics: MetricReport | null,
  notices: readonly NotificationRecord[],
  ended: boolean,
  /** The build's delivery is a push with a notebook diff (a run has none). */
  diff: boolean,
): Html {
  const f = liveFields(b, mask)
  const field = (k: keyof typeof f) => html`<span data-field="${k}">${f[k] ?? '–'}</span>`
  return page(
    { title: `${b.job} ${f.buildNumber ?? ''}`, section: '/ui/builds', session },
    html`<div${ended ? '' : html` data-events="${path('/ui/builds', b.id) + '/events'}"`} data-live-state="${b.state}">
<h1>${b.job} ${field('buildNumber')} ${resultBadge(b)}</h1>
<dl class="facts">
<dt>State</dt><dd>${field('state')}</dd>
<dt>Result</dt><dd>${field('result')}</dd>
<dt>Failing stage</dt><dd>${field('failingStage')}</dd>
<dt>Tests</dt><dd>${field('tests')}</dd>
<dt>Duration</dt><dd>${field('duration')}</dd>
<dt>Repository</dt><dd>${b.repository ?? '–'} · ${b.provider} · tenant ${b.tenant}</dd>
<dt>Branch</dt><dd>${b.branch ?? b.ref ?? '–'}${b.pullRequest !== null ? ` (pull request #${b.pullRequest})` : ''}</dd>
<dt>Commit</dt><dd class="mono">${b.commitSha ?? '–'}</dd>
<dt>Rule</dt><dd>${b.rule}${b.template ? ` (template ${b.template})` : ''}</dd>
<dt>Delivery</dt><dd><a href="${path('/ui/deliveries', b.deliveryId)}" class="mono">${b.deliveryId}</a>${diff ? html` · <a href="${path('/ui/diffs', b.deliveryId)}">notebook diff</a>` : ''}</dd>
<dt>Jenkins</dt><dd>${b.buildUrl ? html`<a href="${safeUrl(b.buildUrl)}" rel="noopener noreferrer">${b.buildUrl}</a>` : '–'}</dd>
<dt>Created</dt><dd>${time(b.createdAt)}</dd>
<dt>Updated</dt><dd><time data-field="updatedAt" datetime="${b.updatedAt}" title="${b.updatedAt}">${b.updatedAt}</time></dd>
<dt>Last error</dt><dd>${field('lastError')}</dd>
</dl>
${
  metrics
    ? html`<h2>Metrics</h2>
        <p>Gate: <strong>${metrics.pass ? 'pass' : 'fail'}</strong></p>
        <pre>${JSON.stringify(metrics.metrics, null, 2)}</pre>`
    : ''
}
<h2>Console tail</h2>
<pre data-field="logTail">${f.logTail ?? '–'}</pre>
${
  runs.length > 1
    ? html`<h2>Jenkins runs</h2>
        <ul>
          ${runs.map(
            (r) =>
              html`<li>
                ${r.job} #${r.buildNumber ?? '?'} (queue ${r.queueId ?? '?'}, ${r.source}) ${time(r.seenAt)}
              </li>`,
          )}
        </ul>`
    : ''
}
<h2>Notices</h2>
${noticesTable(notices)}
</div>`,
  )
}

/** Only http(s) links are made links (a stored URL is Jenkins' answer, not trusted to be one). */
function safeUrl(u: string): string {
  return /^https?:\/\//i.test(u) ? u : '#'
}
