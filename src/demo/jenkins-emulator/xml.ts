// A small, strict XML reader: enough for Jenkins job config.xml files
// (elements, attributes, text, entities, CDATA, comments, declarations).
// Malformed input throws, which the emulator turns into Jenkins' 500 page.

export interface XmlElement {
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  text: string
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ent: string) => {
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16))
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10))
    const v = ENTITIES[ent]
    if (v === undefined) throw new Error(`unknown entity ${whole}`)
    return v
  })
}

export function parseXml(src: string): XmlElement {
  let i = 0
  const stack: XmlElement[] = []
  let root: XmlElement | undefined
  const text = (s: string): void => {
    const top = stack[stack.length - 1]
    if (top) top.text += s
    else if (s.trim() !== '') throw new Error('text outside the root element')
  }
  while (i < src.length) {
    const lt = src.indexOf('<', i)
    if (lt < 0) {
      text(decodeEntities(src.slice(i)))
      break
    }
    if (lt > i) text(decodeEntities(src.slice(i, lt)))
    if (src.startsWith('<?', lt)) {
      const end = src.indexOf('?>', lt)
      if (end < 0) throw new Error('unterminated processing instruction')
      i = end + 2
    } else if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt)
      if (end < 0) throw new Error('unterminated comment')
      i = end + 3
    } else if (src.startsWith('<![CDATA[', lt)) {
      const end = src.indexOf(']]>', lt)
      if (end < 0) throw new Error('unterminated CDATA')
      text(src.slice(lt + 9, end))
      i = end + 3
    } else if (src.startsWith('<!', lt)) {
      const end = src.indexOf('>', lt)
      if (end < 0) throw new Error('unterminated declaration')
      i = end + 1
    } else if (src.startsWith('</', lt)) {
      const end = src.indexOf('>', lt)
      if (end < 0) throw new Error('unterminated end tag')
      const name = src.slice(lt + 2, end).trim()
      const top = stack.pop()
      if (!top || top.name !== name) throw new Error(`unexpected </${name}>`)
      i = end + 1
    } else {
      const m = /^<([A-Za-z_][\w.:$-]*)((?:\s+[\w.:$-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(src.slice(lt))
      if (!m) throw new Error(`malformed tag at offset ${lt}`)
      const el: XmlElement = { name: m[1] ?? '', attrs: {}, children: [], text: '' }
      for (const a of (m[2] ?? '').matchAll(/([\w.:$-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
        el.attrs[a[1] ?? ''] = decodeEntities(a[3] ?? a[4] ?? '')
      }
      const parent = stack[stack.length - 1]
      if (parent) parent.children.push(el)
      else if (root) throw new Error('more than one root element')
      else root = el
      if (m[3] !== '/') stack.push(el)
      i = lt + m[0].length
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`)
  if (!root) throw new Error('no root element')
  return root
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name)
}

export function childText(el: XmlElement | undefined, name: string): string | undefined {
  return child(el, name)?.text
}
