/**
 * A tiny XML well-formedness checker for generated SVG: balanced and properly nested tags,
 * quoted attributes without duplicates, known entities, no stray '<' or '&'. Enough to catch
 * what a string-building renderer gets wrong, without an XML dependency.
 */
const NAME = /^[A-Za-z_:][\w:.-]*/;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

export function checkWellFormed(xml: string): string[] {
  const errors: string[] = [];
  const stack: string[] = [];
  let i = 0;
  let roots = 0;
  const text = (end: number) => {
    for (let k = i; k < end; k++) {
      if (xml[k] === '&') {
        ENTITY.lastIndex = k;
        if (!ENTITY.test(xml)) errors.push(`bad entity at ${k}: ${xml.slice(k, k + 12)}`);
      }
    }
  };
  while (i < xml.length && errors.length < 10) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      text(xml.length);
      if (xml.slice(i).trim()) errors.push('text after the root element');
      break;
    }
    text(lt);
    if (stack.length === 0 && xml.slice(i, lt).trim()) errors.push(`text outside the root at ${i}`);
    i = lt;
    if (xml.startsWith('<?', i)) {
      const e = xml.indexOf('?>', i);
      if (e < 0) return [...errors, 'unterminated processing instruction'];
      i = e + 2;
    } else if (xml.startsWith('<!--', i)) {
      const e = xml.indexOf('-->', i);
      if (e < 0) return [...errors, 'unterminated comment'];
      i = e + 3;
    } else if (xml.startsWith('<![CDATA[', i)) {
      const e = xml.indexOf(']]>', i);
      if (e < 0) return [...errors, 'unterminated CDATA'];
      i = e + 3;
    } else if (xml.startsWith('</', i)) {
      const m = NAME.exec(xml.slice(i + 2));
      const close = xml.indexOf('>', i);
      if (!m || close < 0) return [...errors, `bad end tag at ${i}`];
      const open = stack.pop();
      if (open !== m[0]) errors.push(`</${m[0]}> at ${i} closes <${open ?? '(nothing)'}>`);
      i = close + 1;
    } else {
      const m = NAME.exec(xml.slice(i + 1));
      if (!m) return [...errors, `bad '<' at ${i}`];
      if (stack.length === 0 && roots++ > 0) errors.push(`second root element <${m[0]}> at ${i}`);
      let k = i + 1 + m[0].length;
      const seen = new Set<string>();
      for (;;) {
        while (/\s/.test(xml[k] ?? '')) k++;
        if (xml.startsWith('/>', k)) {
          k += 2;
          break;
        }
        if (xml[k] === '>') {
          stack.push(m[0]);
          k++;
          break;
        }
        const a = NAME.exec(xml.slice(k));
        if (!a) return [...errors, `bad attribute in <${m[0]}> at ${k}`];
        if (seen.has(a[0])) errors.push(`duplicate attribute ${a[0]} in <${m[0]}> at ${k}`);
        seen.add(a[0]);
        k += a[0].length;
        if (xml[k] !== '=' || (xml[k + 1] !== '"' && xml[k + 1] !== "'")) return [...errors, `unquoted attribute ${a[0]} at ${k}`];
        const q = xml[k + 1];
        const end = xml.indexOf(q, k + 2);
        if (end < 0) return [...errors, `unterminated attribute ${a[0]}`];
        const value = xml.slice(k + 2, end);
        if (value.includes('<')) errors.push(`'<' in attribute ${a[0]} at ${k}`);
        for (let j = value.indexOf('&'); j >= 0; j = value.indexOf('&', j + 1)) {
          ENTITY.lastIndex = j;
          if (!ENTITY.test(value)) errors.push(`bad entity in attribute ${a[0]} at ${k}`);
        }
        k = end + 1;
      }
      i = k;
    }
  }
  if (stack.length) errors.push(`unclosed: ${stack.join(' > ')}`);
  if (roots === 0) errors.push('no root element');
  return errors;
}

/** Text content of every <text> element (entities decoded), to look for axis titles. */
export function svgTexts(svg: string): string[] {
  const out: string[] = [];
  for (const m of svg.matchAll(/<text\b[^>]*>([^]*?)<\/text>/g)) {
    const inner = m[1].replace(/<[^>]+>/g, '');
    out.push(
      inner
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
        .replace(/&amp;/g, '&'),
    );
  }
  return out;
}
