// Escaping for the chat platforms' text dialects, kept in one place so a commit message
// with markup is shown as typed, never interpreted.

/** Slack mrkdwn and Google Chat: only &, < and > are special (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** CommonMark (Mattermost, Teams TextBlock): backslash-escape punctuation; HTML-ish brackets too. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|~>]/g, '\\$&').replace(/</g, '&lt;')
}

/** A log excerpt inside a fenced block: three backticks inside would close it. */
export function fenced(s: string): string {
  return '```\n' + s.replace(/```/g, "'''") + '\n```'
}

/** Slack section text is limited to 3,000 characters; other platforms are near that too. */
export function cap(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

/** The last `max` characters (a log's end matters more than its start). */
export function capTail(s: string, max: number): string {
  return s.length > max ? `…${s.slice(-(max - 1))}` : s
}
