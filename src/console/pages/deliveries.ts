// Deliveries: the list (filters in the URL, newest first, the store's cursor) and one delivery: its
// stored headers (already without signatures and tokens), normalized events, the rules' verdicts as
// the pipeline recorded them (what `tamer rules test` prints), its builds and its notebook diff.
import type { PushEvent, TamerEvent } from '../../events/model.js'
import type { BuildRecord, DispatchRecord } from '../../store/builds.js'
import type { NotificationRecord } from '../../store/notifications.js'
import { DELIVERY_STATUSES, type DeliverySummary, type StoredDelivery } from '../../store/store.js'
import { html, path, time, type Html } from '../html.js'
import { badge, page, pager, resultBadge } from '../layout.js'
import type { Session } from '../session.js'

export const PROVIDERS = ['github', 'gitlab', 'bitbucket-cloud', 'bitbucket-server'] as const

export interface DeliveryFilters {
  tenant?: string
  repository?: string
  provider?: string
  status?: string
}

const select = (name: string, label: string, values: readonly string[], chosen: string | undefined) =>
  html`<label
    >${label}<select name="${name}">
      <option value="">any</option>
      ${values.map((v) => html`<option${v === chosen ? html` selected` : ''}>${v}</option>`)}
    </select></label
  >`

export function deliveriesPage(
  session: Session,
  f: DeliveryFilters,
  tenants: readonly string[],
  rows: DeliverySummary[],
  next: number | null,
): Html {
  const params = { tenant: f.tenant, repository: f.repository, provider: f.provider, status: f.status }
  return page(
    { title: 'Deliveries', section: '/ui/deliveries', session },
    html`<h1>Deliveries</h1>
      <form class="filters" method="get" action="/ui/deliveries" role="search">
        ${select('tenant', 'Tenant', tenants, f.tenant)}
        <label
          >Repository<input name="repository" value="${f.repository ?? ''}" placeholder="owner/name" size="24"
        /></label>
        ${select('provider', 'Provider', PROVIDERS, f.provider)}
        ${select('status', 'Status', DELIVERY_STATUSES, f.status)}
        <button type="submit">Filter</button> <a href="/ui/deliveries">Clear</a>
      </form>
      ${
        rows.length
          ? html`<div class="wrap">
              <table>
                <thead>
                  <tr>
                    <th>Received</th>
                    <th>Repository</th>
                    <th>Event</th>
                    <th>Status</th>
                    <th class="hide-sm">Provider</th>
                    <th class="hide-sm">Tenant</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (d) =>
                      html`<tr>
                        <td><a href="${path('/ui/deliveries', d.id)}">${time(d.receivedAt)}</a></td>
                        <td>${d.repository ?? '–'}</td>
                        <td>${d.eventType}</td>
                        <td>${badge(d.status, d.status === 'failed' ? 'bad' : undefined)}</td>
                        <td class="hide-sm">${d.provider}</td>
                        <td class="hide-sm">${d.tenant}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p>No deliveries${Object.values(params).some(Boolean) ? ' match these filters' : ' yet'}.</p>`
      }
      ${pager('/ui/deliveries', params, next)}`,
  )
}

function eventSummary(e: TamerEvent, i: number): Html {
  if (e.kind === 'push') return pushSummary(e, i)
  return html`<li>
    Event ${i}: pull request <strong>#${e.number}</strong> ${e.action}: ${e.title} (<code>${e.source.branch}</code> →
    <code>${e.target.branch}</code>, head <code>${(e.source.sha ?? '').slice(0, 12)}</code>) by
    ${e.author.name ?? e.author.username ?? '–'}
  </li>`
}

function pushSummary(e: PushEvent, i: number): Html {
  const what = e.run ? html`run of rule <strong>${e.run.rule}</strong> by ${e.run.actor}` : html`push`
  const range = e.deleted
    ? html`deleted`
    : html`<code>${e.created ? '(new)' : e.before.slice(0, 12)}</code>..<code>${e.after.slice(0, 12)}</code>`
  return html`<li>
    Event ${i}: ${what} of <code>${e.ref}</code> ${range}, ${e.totalCommits} commit(s) by
    ${e.pusher.name ?? e.pusher.username ?? '–'}
    ${
      e.commits.length
        ? html`<ul>
            ${e.commits.slice(0, 20).map((c) => html`<li><code>${c.id.slice(0, 10)}</code> ${c.message.split('\n')[0]} <span class="muted">${c.author.name ?? ''}</span></li>`)}
          </ul>`
        : ''
    }
  </li>`
}

interface Verdict {
  rule: string
  eventIndex: number
  matched: boolean
  reasons: string[]
  job?: string
  pathsUnevaluated?: boolean
}

function rulesSection(dispatch: DispatchRecord | null): Html {
  if (!dispatch) return html`<p>Not routed yet.</p>`
  const verdicts = Array.isArray(dispatch.evaluation) ? (dispatch.evaluation as Verdict[]) : []
  return html`<p>Outcome: <strong>${dispatch.outcome}</strong>, decided ${time(dispatch.decidedAt)}.</p>
    ${
      verdicts.length
        ? html`<ul>
            ${verdicts.map(
              (v) =>
                html`<li>
                  ${v.matched ? badge('match', 'good') : badge('no match')} <strong>${v.rule}</strong> (event
                  ${v.eventIndex})${
                    v.job ? html` → job <code>${v.job}</code>` : ''
                  }${v.pathsUnevaluated ? ' [path condition not evaluated]' : ''}
                  <ul>
                    ${v.reasons.map((r) => html`<li>${r}</li>`)}
                  </ul>
                </li>`,
            )}
          </ul>`
        : html`<p>No rule was evaluated.</p>`
    }
    ${dispatch.skipped?.events ? html`<p>Skipped ${dispatch.skipped.events.skipped} event(s): ${dispatch.skipped.events.reason}</p>` : ''}
    ${dispatch.skipped?.builds ? html`<p>Skipped ${dispatch.skipped.builds.skipped} build(s): ${dispatch.skipped.builds.reason}</p>` : ''}`
}

export function buildsTable(builds: readonly BuildRecord[]): Html {
  if (!builds.length) return html`<p>No builds.</p>`
  return html`<div class="wrap">
    <table>
      <thead>
        <tr>
          <th>Job</th>
          <th>Result</th>
          <th>Branch</th>
          <th class="hide-sm">Rule</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        ${builds.map(
          (b) =>
            html`<tr>
              <td>
                <a href="${path('/ui/builds', b.id)}">${b.job}${b.buildNumber !== null ? ` #${b.buildNumber}` : ''}</a>
              </td>
              <td>${resultBadge(b, false)}</td>
              <td>${b.branch ?? b.ref ?? '–'}</td>
              <td class="hide-sm">${b.rule}</td>
              <td>${time(b.createdAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`
}

export function noticesTable(notices: readonly NotificationRecord[]): Html {
  if (!notices.length) return html`<p>No notices.</p>`
  return html`<div class="wrap">
    <table>
      <thead>
        <tr>
          <th>Subject</th>
          <th>Channel</th>
          <th>State</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        ${notices.map(
          (n) =>
            html`<tr>
              <td>${n.subject}</td>
              <td>${n.channel} (${n.kind})</td>
              <td>${badge(n.state, n.state === 'dead' ? 'bad' : n.state === 'sent' ? 'good' : undefined)}</td>
              <td>${time(n.createdAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`
}

export function deliveryPage(
  session: Session,
  d: StoredDelivery,
  dispatch: DispatchRecord | null,
  builds: readonly BuildRecord[],
  notices: readonly NotificationRecord[],
  /** The delivery holds a push with a diff (a run changes nothing). */
  hasPush: boolean,
): Html {
  const events = d.normalized.kind === 'events' ? d.normalized.events : []
  // A run's builds are planned a moment after it is stored: the page looks again until they are.
  const refresh = d.status === 'pending' ? 2 : undefined
  return page(
    { title: `Delivery ${d.id}`, section: '/ui/deliveries', session, refresh },
    html`<h1>Delivery <span class="mono">${d.id}</span></h1>
      <dl class="facts">
        <dt>Repository</dt>
        <dd>
          ${d.repository ?? '–'}${
            d.repository ? html` · <a href="${path('/ui/repos', d.repository) + '/branches'}">branches</a>` : ''
          }
        </dd>
        <dt>Event</dt>
        <dd>${d.provider} ${d.eventType}</dd>
        <dt>Status</dt>
        <dd>${badge(d.status, d.status === 'failed' ? 'bad' : undefined)}</dd>
        <dt>Tenant</dt>
        <dd>${d.tenant}</dd>
        <dt>Received</dt>
        <dd>${time(d.receivedAt)}</dd>
        <dt>Updated</dt>
        <dd>${time(d.updatedAt)}</dd>
        <dt>Host delivery id</dt>
        <dd class="mono">${d.hostDeliveryId ?? '–'}</dd>
      </dl>
      ${hasPush ? html`<p><a href="${path('/ui/diffs', d.id)}">Notebook diff of this push</a></p>` : ''}
      <h2>Events</h2>
      ${
        d.normalized.kind === 'events'
          ? html`<ul>
              ${events.map(eventSummary)}
            </ul>`
          : html`<p>
              ${d.normalized.kind === 'ping' ? `Ping: ${d.normalized.note}` : `Ignored: ${d.normalized.reason}`}
            </p>`
      }
      <h2>Rules</h2>
      ${rulesSection(dispatch)}
      <h2>Builds</h2>
      ${buildsTable(builds)}
      <h2>Notices</h2>
      ${noticesTable(notices)}
      <h2>Headers</h2>
      <p class="muted">As stored: signatures, tokens and credentials were removed before the delivery was stored.</p>
      <div class="wrap">
        <table>
          <tbody>
            ${Object.entries(d.headers).map(
              ([k, v]) =>
                html`<tr>
                  <th scope="row" class="mono">${k}</th>
                  <td class="mono">${v}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <details>
        <summary>Normalized events (JSON)</summary>
        <pre>${JSON.stringify(d.normalized, null, 2)}</pre>
      </details>`,
  )
}
