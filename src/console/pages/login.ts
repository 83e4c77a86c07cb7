// Sign-in: an API token (api.tokens, or one made with `tamer tokens create`) for a session cookie, or,
// when console.oidc is set, single sign-on at the provider (a link: a GET navigation, see ../oidc.ts).
import { html } from '../html.js'
import { page } from '../layout.js'

export function loginPage(o: { next: string; error?: string; oidcLabel?: string; signedOut?: string }) {
  return page(
    { title: 'Sign in' },
    html`<h1>Sign in to Tamer</h1>
      ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
      ${
        o.signedOut
          ? html`<p role="status">
              Signed out of Tamer. <a href="${o.signedOut}">Sign out at your sign-in provider too</a>
            </p>`
          : ''
      }
      ${
        o.oidcLabel
          ? html`<p>
                <a class="button" href="${`/ui/oidc/start?next=${encodeURIComponent(o.next)}`}">${o.oidcLabel}</a>
              </p>
              <p class="muted">Or with an API token:</p>`
          : ''
      }
      <form method="post" action="/ui/login">
        <input type="hidden" name="next" value="${o.next}" />
        <p>
          <label for="token">API token</label><br />
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus size="48" />
        </p>
        <p><button type="submit">Sign in</button></p>
      </form>
      <p class="muted">
        A token of <code>api.tokens</code> (<code>TAMER_API_TOKEN</code>) or one made with
        <code>tamer tokens create</code>. The session sees what the token sees: its tenants, and forms that change
        something need the <code>operate</code> scope. It lasts until you sign out, the token is revoked or it expires.
      </p>`,
  )
}
