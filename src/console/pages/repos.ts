// Repositories and their branches (the branch registry), with a "Run tests" form per branch and rule:
// it posts to the console's runs path, which takes the API's durable path (pipeline/runs.ts requestRun).
import type { BranchBuild, BranchRecord, RepositoryRecord } from '../../store/branches.js'
import { html, path, time, type Html } from '../html.js'
import { badge, page, pager } from '../layout.js'
import type { Session } from '../session.js'

export function reposPage(session: Session, rows: readonly RepositoryRecord[], next: number | null): Html {
  return page(
    { title: 'Repositories', section: '/ui/repos', session },
    html`<h1>Repositories</h1>
      ${
        rows.length
          ? html`<div class="wrap">
              <table>
                <thead>
                  <tr>
                    <th>Repository</th>
                    <th>Default branch</th>
                    <th>Live branches</th>
                    <th class="hide-sm">Provider</th>
                    <th class="hide-sm">Tenant</th>
                    <th>Changed</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (r) =>
                      html`<tr>
                        <td><a href="${path('/ui/repos', r.repository) + '/branches'}">${r.repository}</a></td>
                        <td>${r.defaultBranch ?? '–'}</td>
                        <td>${r.branches}</td>
                        <td class="hide-sm">${r.provider}</td>
                        <td class="hide-sm">${r.tenant}</td>
                        <td>${time(r.updatedAt)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p>No repositories yet: they appear with their first push.</p>`
      }
      ${pager('/ui/repos', {}, next)}`,
  )
}

export function branchesPage(
  session: Session,
  repo: RepositoryRecord,
  state: 'live' | 'deleted',
  rows: readonly BranchRecord[],
  builds: Map<string, BranchBuild[]>,
  rules: readonly string[],
  canRun: boolean,
  next: number | null,
  chart: Html | null = null,
): Html {
  const base = path('/ui/repos', repo.repository) + '/branches'
  const runForm = (b: BranchRecord) =>
    html`<form class="inline" method="post" action="${path(base, b.branch) + '/runs'}">
      <input type="hidden" name="_csrf" value="${session.csrf}" />
      <label
        >Rule
        <select name="rule">
          ${rules.map((r) => html`<option>${r}</option>`)}
        </select></label
      >
      <button type="submit">Run tests</button>
    </form>`
  return page(
    { title: `${repo.repository} branches`, section: '/ui/repos', session },
    html`<h1>${repo.repository} <span class="muted">branches</span></h1>
      <p>
        ${repo.provider} · tenant ${repo.tenant} · remote listed ${time(repo.syncedAt)} ·
        ${state === 'live' ? html`<a href="${`${base}?state=deleted`}">deleted branches</a>` : html`<a href="${base}">live branches</a>`}
      </p>
      ${
        rows.length
          ? html`<div class="wrap">
              <table>
                <thead>
                  <tr>
                    <th>Branch</th>
                    <th>Head</th>
                    <th>Pushed</th>
                    <th>Last builds</th>
                    ${state === 'live' && canRun && rules.length ? html`<th>Run</th>` : ''}
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (b) =>
                      html`<tr>
                        <td>
                          <code>${b.branch}</code>${b.branch === repo.defaultBranch ? html` ${badge('default')}` : ''}
                        </td>
                        <td>
                          <code>${(b.commitSha ?? '').slice(0, 10)}</code>
                          <span class="muted">${b.authorName ?? ''}</span>
                        </td>
                        <td>${time(b.deletedAt ?? b.pushedAt)}</td>
                        <td>
                          ${(builds.get(b.branch) ?? []).map(
                            (x) =>
                              html`<a href="${path('/ui/builds', x.buildId)}">${x.rule}: ${x.result ?? x.state}</a> `,
                          )}
                        </td>
                        ${state === 'live' && canRun && rules.length ? html`<td>${runForm(b)}</td>` : ''}
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p>No ${state} branches.</p>`
      }
      ${
        chart
          ? html`<h2>Metrics</h2>
              <figure class="metric-chart">${chart}</figure>`
          : ''
      }
      ${canRun ? '' : html`<p class="muted">Running tests needs a token with the operate scope.</p>`}
      ${pager(base, { state: state === 'deleted' ? 'deleted' : undefined }, next)}`,
  )
}
