// Authentication and CSRF crumbs (jenkinsci/jenkins core/src/main/java/jenkins/security/BasicHeaderProcessor.java,
// hudson/security/csrf/CrumbFilter.java and DefaultCrumbIssuer.java).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export type Permission =
  | 'Overall/Read'
  | 'Job/Discover'
  | 'Job/Read'
  | 'Job/ExtendedRead'
  | 'Job/Build'
  | 'Job/Create'
  | 'Job/Configure'
  | 'Job/Cancel'
  | 'Job/Delete'

export const ALL_PERMISSIONS: Permission[] = [
  'Overall/Read',
  'Job/Discover',
  'Job/Read',
  'Job/ExtendedRead',
  'Job/Build',
  'Job/Create',
  'Job/Configure',
  'Job/Cancel',
  'Job/Delete',
]

export const PERMISSION_ID: Record<Permission, string> = {
  'Overall/Read': 'hudson.model.Hudson.Read',
  'Job/Discover': 'hudson.model.Item.Discover',
  'Job/Read': 'hudson.model.Item.Read',
  'Job/ExtendedRead': 'hudson.model.Item.ExtendedRead',
  'Job/Build': 'hudson.model.Item.Build',
  'Job/Create': 'hudson.model.Item.Create',
  'Job/Configure': 'hudson.model.Item.Configure',
  'Job/Cancel': 'hudson.model.Item.Cancel',
  'Job/Delete': 'hudson.model.Item.Delete',
}

export interface UserSpec {
  id: string
  fullName?: string
  /** API token: authenticates and exempts from CSRF (core jenkins/security/ApiCrumbExclusion.java, Jenkins 2.96+) */
  apiToken?: string
  /** real password: authenticates, but POSTs need a crumb */
  password?: string
  /** default: all */
  permissions?: Permission[]
}

export type AuthOutcome =
  | { kind: 'anonymous' }
  | { kind: 'user'; user: Required<Pick<UserSpec, 'id' | 'fullName'>>; viaApiToken: boolean }
  | { kind: 'fail'; message: string }

export const CRUMB_FIELD = 'Jenkins-Crumb'
export const NO_VALID_CRUMB = 'No valid crumb was included in the request'

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export class Auth {
  /** `JSESSIONID.` + 8 hex, new per Jenkins start (jenkinsci/jenkins war/src/main/java/executable/Main.java) */
  cookieName = `JSESSIONID.${randomBytes(4).toString('hex')}`
  readonly #salt = randomBytes(16)
  /** session id → user id the session was created for */
  readonly sessions = new Map<string, string>()
  crumbIssuerEnabled = true

  readonly users: UserSpec[]
  anonymousPermissions: Permission[]

  constructor(users: UserSpec[], anonymousPermissions: Permission[]) {
    this.users = users
    this.anonymousPermissions = anonymousPermissions
  }

  /** BasicHeaderProcessor: only Basic; bad credentials fail before routing. */
  authenticate(req: IncomingMessage): AuthOutcome {
    const header = req.headers.authorization
    if (!header) return { kind: 'anonymous' }
    const m = /^Basic\s+(\S+)$/i.exec(header)
    if (!m?.[1]) return { kind: 'anonymous' }
    const decoded = Buffer.from(m[1], 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return { kind: 'fail', message: 'Malformed HTTP basic Authorization header' }
    const id = decoded.slice(0, colon)
    const secret = decoded.slice(colon + 1)
    const user = this.users.find((u) => u.id === id)
    const invalid = { kind: 'fail', message: `Invalid password/token for user: ${id}` } as const
    if (!user) return invalid
    const who = { id: user.id, fullName: user.fullName ?? user.id }
    if (user.apiToken !== undefined && same(user.apiToken, secret))
      return { kind: 'user', user: who, viaApiToken: true }
    if (user.password !== undefined && same(user.password, secret))
      return { kind: 'user', user: who, viaApiToken: false }
    return invalid
  }

  has(userId: string | null, p: Permission): boolean {
    if (userId === null) return this.anonymousPermissions.includes(p)
    const u = this.users.find((x) => x.id === userId)
    return !!u && (u.permissions ?? ALL_PERMISSIONS).includes(p)
  }

  sessionFrom(req: IncomingMessage): string | undefined {
    const cookies = req.headers.cookie ?? ''
    for (const part of cookies.split(/;\s*/)) {
      const eq = part.indexOf('=')
      if (eq > 0 && part.slice(0, eq) === this.cookieName) {
        const id = part.slice(eq + 1)
        if (this.sessions.has(id)) return id
      }
    }
    return undefined
  }

  newSession(userId: string): string {
    const id = randomBytes(18).toString('base64url')
    this.sessions.set(id, userId)
    return id
  }

  /** DefaultCrumbIssuer: SHA-256 over `user;session` with the instance salt, 64 hex. */
  crumb(userId: string, sessionId: string): string {
    return createHash('sha256').update(this.#salt).update(`${userId};${sessionId}`).digest('hex')
  }

  /** CrumbFilter: valid iff the crumb matches the session named by the cookie. */
  validCrumb(req: IncomingMessage, params: URLSearchParams, userId: string): boolean {
    const sent = (req.headers[CRUMB_FIELD.toLowerCase()] as string | undefined) ?? params.get(CRUMB_FIELD) ?? undefined
    const session = this.sessionFrom(req)
    if (!sent || !session) return false
    return same(sent, this.crumb(userId, session))
  }

  /** Sessions lost (restart, expiry): every crumb issued so far stops working. */
  expireSessions(): void {
    this.sessions.clear()
  }
}
