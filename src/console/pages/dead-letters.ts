// Dead letters: notices Tamer gave up on, newest first, each with a re-send form (operate scope).
import type { NotificationRecord } from '../../store/notifications.js'
import type { Mask } from '../../security/secrets.js'
import { html, path, time, type Html } from '../html.js'
import { page, pager } from '../layout.js'
import type { Session } from '../session.js'

export function deadLettersPage(
  session: Session,
  rows: readonly NotificationRecord[],
  mask: Mask,
  canResend: boolean,
  resent: NotificationRecord | null,
  next: number | null,
): Html {
  return page(
    { title: 'Dead letters', section: '/ui/dead-letters', session },
    html`<h1>Dead letters</h1>
      ${resent ? html`<p class="flash" role="status">Sent again: ${resent.subject} (now ${resent.state}).</p>` : ''}
      ${
        rows.length
          ? html`<div class="wrap">
              <table>
                <thead>
                  <tr>
                    <th>Subject</th>
                    <th>Channel</th>
                    <th>Attempts</th>
                    <th>Last error</th>
                    <th>Created</th>
                    ${canResend ? html`<th></th>` : ''}
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (n) =>
                      html`<tr>
                        <td>
                          ${n.subject}${n.buildId ? html` · <a href="${path('/ui/builds', n.buildId)}">build</a>` : ''}
                        </td>
                        <td>${n.channel} (${n.kind})</td>
                        <td>${n.attempts}</td>
                        <td>${n.lastError === null ? '–' : mask(n.lastError)}</td>
                        <td>${time(n.createdAt)}</td>
                        ${
                          canResend
                            ? html`<td>
                                <form
                                  class="inline"
                                  method="post"
                                  action="${path('/ui/notifications', n.id) + '/resend'}"
                                >
                                  <input type="hidden" name="_csrf" value="${session.csrf}" /><button type="submit">
                                    Re-send
                                  </button>
                                </form>
                              </td>`
                            : ''
                        }
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p>No dead letters.</p>`
      }
      ${canResend ? '' : html`<p class="muted">Re-sending needs a token with the operate scope.</p>`}
      ${pager('/ui/dead-letters', {}, next)}`,
  )
}
