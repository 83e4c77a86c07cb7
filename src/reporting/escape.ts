// Text from a push or pull request (branch names, commit messages, titles) in a Markdown comment:
// every Markdown and HTML mark is escaped, and `@`, URLs and `www.` are broken with a zero-width
// joiner, so a PR title cannot inject a link, an image, a mention or hidden HTML
// (https://github.github.com/gfm/#backslash-escapes: any ASCII punctuation may be escaped; a
// backslash does not stop an extended autolink or a mention, the joiner does).
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/(https?|ftp):\/\//gi, '$1\u200d://')
    .replace(/\bwww\./gi, 'www\u200d.')
    .replace(/[\\`*_{}[\]()<>#+\-.!|~"'=&]/g, (c) => `\\${c}`)
    .replace(/@/g, '@\u200d')
}
