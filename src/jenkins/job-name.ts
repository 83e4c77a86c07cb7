// Job name patterns such as `ds/{repo}/{branch}`: slashes are folders, each segment
// must pass Jenkins' checkGoodName (jenkinsci/jenkins
// core/src/main/java/jenkins/model/Jenkins.java), placeholders are
// filled with values made safe for a segment, so a pattern that is valid as text
// renders a valid name for every event.
import { JobNameUnresolvedError } from '../errors.js'

export const PLACEHOLDERS = [
  'tenant',
  'owner',
  'repo',
  'repository',
  'branch',
  'tag',
  'ref',
  'event',
  'provider',
] as const
export type Placeholder = (typeof PLACEHOLDERS)[number]
export type JobNameValues = Partial<Record<Placeholder, string | null>>

const UNSAFE = '?*/\\%!@#$^&|<>[]:;'

/** Jenkins.checkGoodName for one segment: the problem, or undefined. */
export function checkGoodName(name: string): string | undefined {
  if (name.trim() === '') return 'empty name segment'
  for (const c of name) {
    if (c.charCodeAt(0) < 32) return `control character ${c.charCodeAt(0)} is not allowed`
    if (UNSAFE.includes(c)) return `'${c}' is an unsafe character in a Jenkins job name`
  }
  if (name === '.' || name === '..') return `"${name}" is not an allowed name`
  if (name.endsWith('.')) return 'a name cannot end with "."'
  return undefined
}

/** Makes any value one safe segment: unsafe characters (slashes too) become '-'. */
export function safeSegment(value: string): string {
  let out = ''
  for (const c of value) out += c.charCodeAt(0) < 32 || UNSAFE.includes(c) ? '-' : c
  out = out.replace(/\.+$/, (dots) => '-'.repeat(dots.length))
  return out === '.' || out === '..' ? out.replace(/\./g, '-') : out
}

const TOKEN = /\{([^{}]*)\}/g

/** Checks a pattern as written; returns the problem or undefined. */
export function checkJobNamePattern(pattern: string): string | undefined {
  if (pattern.startsWith('/') || pattern.endsWith('/')) return 'a job name may not start or end with "/"'
  for (const m of pattern.matchAll(TOKEN)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1] ?? '')) {
      return `unknown placeholder {${m[1]}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`
    }
  }
  // {repository} may stand for several folders; every other placeholder renders one safe segment.
  for (const segment of pattern.split('/')) {
    const literal = segment.replace(TOKEN, (_, name: string) => (name === 'repository' ? 'x' : 'x'))
    if (/[{}]/.test(literal)) return `unbalanced brace in segment "${segment}"`
    const problem = checkGoodName(literal)
    if (problem) return `segment "${segment}": ${problem}`
  }
  return undefined
}

/** Renders a checked pattern; throws when a placeholder has no value for this event. */
export function renderJobName(pattern: string, values: JobNameValues): string {
  return pattern.replace(TOKEN, (_, name: Placeholder) => {
    const v = values[name]
    if (v === null || v === undefined || v === '') throw new JobNameUnresolvedError(name)
    if (name === 'repository') return v.split('/').filter(Boolean).map(safeSegment).join('/')
    return safeSegment(v)
  })
}
