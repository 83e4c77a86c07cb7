// A real OpenID Connect provider for the console's sign-in tests: the `oidc-provider` package (9.x) on
// 127.0.0.1, one confidential client, PKCE required, the scopes' claims in the ID token. Its login and
// consent pages are answered at once for the user the test names (setUser). The package ships no type
// declarations: it is imported by a non-literal name and given the few types used here (as the jenkins
// client in jenkins-emulator/npm-client.ts), so no ambient `declare module` is needed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'

interface Grant {
  addOIDCScope(scope: string): void
  save(): Promise<string>
}
interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ params: Record<string, unknown> }>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>
  Grant: new (o: { accountId: string; clientId: string }) => Grant
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance

const PACKAGE = 'oidc-provider'

export interface OidcProviderOptions {
  port: number
  client: { id: string; secret: string; redirectUri: string }
  /** Each account's claims by its subject. */
  accounts: Record<string, Record<string, unknown>>
}

export async function startOidcProvider(o: OidcProviderOptions) {
  const { default: Provider } = (await import(PACKAGE)) as { default: ProviderClass }
  const issuer = `http://127.0.0.1:${o.port}`
  let user = ''
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: o.client.id,
        client_secret: o.client.secret,
        redirect_uris: [o.client.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    pkce: { required: () => true },
    // The scopes' claims in the ID token itself (as providers put `groups` and `email` there).
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, ...o.accounts[sub] }),
    }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['oidc-test-cookie-key'] },
  })
  const handle = provider.callback()
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/interaction/')) return void handle(req, res)
    // Login and consent in one answer, for the scopes the client asked for.
    void (async () => {
      const details = await provider.interactionDetails(req, res)
      const grant = new provider.Grant({ accountId: user, clientId: o.client.id })
      grant.addOIDCScope(String(details.params.scope))
      const grantId = await grant.save()
      const result = { login: { accountId: user }, consent: { grantId } }
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
    })().catch((err: unknown) => {
      res.statusCode = 500
      res.end(String(err))
    })
  })
  await new Promise<void>((resolve) => server.listen(o.port, '127.0.0.1', resolve))
  return {
    issuer,
    /** The account the next login page signs in. */
    setUser(sub: string) {
      user = sub
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
