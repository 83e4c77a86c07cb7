// Credentials in URLs (`https://x-access-token:ghs_…@github.com/…`) are never kept: not in stored
// events or bodies, not in API answers, not in Jenkins parameters. Tokens for git come from
// git.credentials only. RFC 3986 §3.2.1: userinfo is `user[:password]@` before the host.

// http(s), and pip's VCS URLs over it (`git+https:`, PEP 440 direct references): a bare user there is a token.
const HTTP = /^(?:[a-z]+\+)?https?:$/i

/**
 * `url` without its credentials: http(s) URLs lose the whole userinfo (a bare token is a valid
 * GitHub/GitLab user name); other schemes keep the user (`ssh://git@…` is not a secret) and lose
 * the password. What the URL parser refuses gets the text rule below.
 */
export function withoutCredentials(url: string): string {
  // A userinfo ends at an `@` (WHATWG URL's authority state), and the text rule needs one too: without
  // it the answer is `url` itself, so skip the parse (every event's clone URLs, ~5 % of intake's event loop).
  if (!url.includes('@')) return url
  // URL.parse answers null where `new URL` throws: that throw (every push's `git@host:org/x.git`)
  // cost more than the parse.
  const u = URL.parse(url)
  if (u === null) return redactUrlCredentials(url)
  if (!u.username && !u.password) return url
  if (HTTP.test(u.protocol)) u.username = ''
  u.password = ''
  return u.href
}

/** The same for a nullable payload field. */
export function urlField(url: string | null): string | null {
  return url === null ? null : withoutCredentials(url)
}

// `scheme://userinfo@` in free text, raw JSON (`:\/\/` is a valid JSON escape) or a form-encoded
// body (`%3A%2F%2F…%40`, where `%22` puts a digit before the scheme). The userinfo stops at what
// cannot be in it unescaped: / @ space quotes.
const IN_TEXT = /\b([a-z][a-z0-9+.-]{0,30}):(\/\/|\\\/\\\/)([^\s"'<>/\\@]{1,2048})@/gi
const IN_FORM = /(?<![a-z])([a-z][a-z0-9+.-]{0,30})%3A%2F%2F((?:[^\s&%@/]|%(?!2F|40)[0-9a-f]{2}){1,2048})%40/gi

/** What stays of a userinfo: nothing for http(s), the user name for other schemes. */
function keptUser(scheme: string, userinfo: string, separator: RegExp): string | null {
  if (/^(?:[a-z]+\+)?https?$/i.test(scheme)) return null
  return userinfo.split(separator)[0]!
}

const AT = 0x40
const SLASH = 0x2f
const BACKSLASH = 0x5c
const COLON = 0x3a

/**
 * Whether IN_TEXT can match at all: a match ends in an `@` whose userinfo (no `/` and no `@`, 1–2048
 * characters) follows `://` or `:\/\/`. A necessary condition checked from each `@` backwards, so a body
 * whose `@`s are all e-mail addresses skips the regex, which tries a scheme at every word start: at
 * 1 MB push bodies that was a fifth of the writer thread's time (issue #12).
 */
export function mayHoldUrlCredentials(text: string): boolean {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let k = at - 1
    const stop = Math.max(0, at - 2049)
    while (k >= stop && text.charCodeAt(k) !== SLASH && text.charCodeAt(k) !== AT) k--
    // k is the slash the userinfo follows; it needs at least one character.
    if (k < 1 || k === at - 1 || text.charCodeAt(k) !== SLASH) continue
    const c = (i: number) => (i >= 0 ? text.charCodeAt(i) : -1)
    if (c(k - 1) === SLASH && c(k - 2) === COLON) return true
    if (c(k - 1) === BACKSLASH && c(k - 2) === SLASH && c(k - 3) === BACKSLASH && c(k - 4) === COLON) return true
  }
  return false
}

/**
 * mayHoldUrlCredentials over bytes read as latin1 (one char per byte), without making that string: a
 * 1 MB body's latin1 copy was 7 % of the writer thread's time at 1 MB pushes, for bodies that nearly
 * always hold no credentials (issue #12). The same scan; a test checks the two agree.
 */
export function bytesMayHoldUrlCredentials(bytes: Uint8Array): boolean {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let at = b.indexOf(AT); at !== -1; at = b.indexOf(AT, at + 1)) {
    let k = at - 1
    const stop = Math.max(0, at - 2049)
    while (k >= stop && b[k] !== SLASH && b[k] !== AT) k--
    if (k < 1 || k === at - 1 || b[k] !== SLASH) continue
    const c = (i: number) => (i >= 0 ? b[i]! : -1)
    if (c(k - 1) === SLASH && c(k - 2) === COLON) return true
    if (c(k - 1) === BACKSLASH && c(k - 2) === SLASH && c(k - 3) === BACKSLASH && c(k - 4) === COLON) return true
  }
  return false
}

/** Every URL credential in a text masked away (the scheme and host stay, so the text still reads). */
export function redactUrlCredentials(text: string): string {
  const once = !mayHoldUrlCredentials(text)
    ? text
    : text.replace(IN_TEXT, (_m, scheme: string, slashes: string, userinfo: string) => {
        const user = keptUser(scheme, userinfo, /:/)
        return `${scheme}:${slashes}${user === null ? '' : `${user}@`}`
      })
  // An IN_FORM match ends in %40: a text without it (nearly every JSON body) skips that scan, which
  // was 23 % of the writer thread's time at 1 MB bodies (issue #12).
  if (!once.includes('%40')) return once
  return once.replace(IN_FORM, (_m, scheme: string, userinfo: string) => {
    const user = keptUser(scheme, userinfo, /%3A/i)
    return `${scheme}%3A%2F%2F${user === null ? '' : `${user}%40`}`
  })
}

/** The raw bytes of a delivery with URL credentials removed; the same buffer when there are none. */
export function redactBodyCredentials(body: Buffer): Buffer {
  // What redactUrlCredentials would return as it is (neither scan can match) stays the same buffer.
  if (!bytesMayHoldUrlCredentials(body) && !body.includes('%40')) return body
  // latin1 maps every byte to one char and back, so bytes outside the matches are kept exactly.
  const text = body.toString('latin1')
  const clean = redactUrlCredentials(text)
  return clean === text ? body : Buffer.from(clean, 'latin1')
}

/**
 * A JSON value with every string that holds URL credentials cleaned (for stored events). What holds
 * none is returned as it is, not copied: events are walked on every delivery, and a 1 MB push's copy
 * was garbage the moment it was serialized (issue #12).
 */
export function withoutUrlCredentials<T>(value: T): T {
  if (value === null || typeof value !== 'object') return cleanValue(value)
  // One delivery's events are cleaned for the store and again for the pipeline's signal (compose):
  // the second is the first's answer (a 1 MB push's walk took ~1 ms of the event loop; issue #12).
  // Events are not changed once normalized, so an answer stays right for its object.
  const known = cleaned.get(value)
  if (known !== undefined) return known as T
  // Their JSON, which the store writes anyway, is scanned instead of walking every string: the walk was as much
  // of the event loop as the JSON itself (issue #12).
  const clean = jsonMayHoldUrlCredentials(jsonOf(value)) ? cleanValue(value) : value
  cleaned.set(value, clean)
  return clean
}

const cleaned = new WeakMap<object, unknown>()
const json = new WeakMap<object, string>()

/** JSON.stringify(value), made once per object until takeJson takes it. */
function jsonOf(value: object): string {
  let text = json.get(value)
  if (text === undefined) json.set(value, (text = JSON.stringify(value)))
  return text
}

/**
 * The JSON of events as stored: withoutUrlCredentials's answer, serialized once (its pre-check made it already when
 * nothing was cleaned). Taken, not kept: the text is not held while the delivery waits for its commit.
 */
export function cleanJson(value: object): string {
  const clean = withoutUrlCredentials(value)
  const text = jsonOf(clean)
  json.delete(clean)
  return text
}

/**
 * Whether a JSON text can hold a string that cleanValue would change: a necessary condition, so a text it
 * answers false for is clean as it is. cleanValue changes a string only if it holds an `@` and either `%40` or a
 * `/` before that `@` with neither `/` nor `@` between, after `://` or `:\/\/`. JSON escapes none of `/ @ :`
 * and writes a backslash as two, so in the text such an `@` scans back to a `/` after `://` or after a backslash.
 * Each scan back stops at the `@` before, so the whole text is read about once.
 */
export function jsonMayHoldUrlCredentials(text: string): boolean {
  if (text.includes('%40')) return true
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let k = at - 1
    while (k >= 0 && text.charCodeAt(k) !== SLASH && text.charCodeAt(k) !== AT) k--
    if (k < 1 || text.charCodeAt(k) !== SLASH) continue
    const before = text.charCodeAt(k - 1)
    if (before === BACKSLASH || (before === SLASH && text.charCodeAt(k - 2) === COLON)) return true
  }
  return false
}

function cleanValue<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('@') ? redactUrlCredentials(value) : value) as T
  if (Array.isArray(value)) {
    let out: unknown[] | null = null
    for (let i = 0; i < value.length; i++) {
      const v = cleanValue(value[i])
      if (v !== value[i]) (out ??= value.slice())[i] = v
    }
    return (out ?? value) as T
  }
  if (value !== null && typeof value === 'object') {
    // for…in over own keys, not Object.entries: no [key, value] array per property (the walk of a
    // 6.8 KB push's events took several times less, measured; it runs on every delivery, issue #12).
    const obj = value as Record<string, unknown>
    let out: Record<string, unknown> | null = null
    for (const k in obj) {
      if (!Object.hasOwn(obj, k)) continue
      const v = obj[k]
      const clean = cleanValue(v)
      if (clean !== v) (out ??= { ...obj })[k] = clean
    }
    return (out ?? value) as T
  }
  return value
}
