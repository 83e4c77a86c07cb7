// Schedules: each rule's cron schedules (rules[].schedules), their zone, branch and the last slot run.
import type { Schedule } from '../../pipeline/schedules.js'
import { html, time, type Html } from '../html.js'
import { page } from '../layout.js'
import type { Session } from '../session.js'

export function schedulesPage(
  session: Session,
  rows: readonly { schedule: Schedule; lastSlot: string | null; next: string | null }[],
): Html {
  return page(
    { title: 'Schedules', section: '/ui/schedules', session },
    html`<h1>Schedules</h1>
      ${
        rows.length
          ? html`<div class="wrap">
              <table>
                <thead>
                  <tr>
                    <th>Rule</th>
                    <th>Cron</th>
                    <th>Zone</th>
                    <th>Branch</th>
                    <th>Last slot run</th>
                    <th>Next slot</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    ({ schedule: s, lastSlot, next }) =>
                      html`<tr>
                        <td>${s.rule}</td>
                        <td><code>${s.config.cron}</code></td>
                        <td>${s.config.timezone ?? 'UTC'}</td>
                        <td>${s.config.branch ?? 'default branch'}</td>
                        <td>${time(lastSlot)}</td>
                        <td>${time(next)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p>No rule has schedules (<code>rules[].schedules</code>).</p>`
      }`,
  )
}
