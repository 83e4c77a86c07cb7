// Reading a cookie from a request, for the console's session and the sign-off pages' CSRF cookie.

/** One cookie's value from a Cookie header (RFC 6265 §5.4: `name=value` pairs separated by `; `). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
