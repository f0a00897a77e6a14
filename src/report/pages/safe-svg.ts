const TAG = /<([a-zA-Z][\w:.-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*\/?>/g;
const ATTR = /([^\s=]+)(?:\s*=\s*("[^"]*"|'[^']*'))?/g;
const FORBIDDEN_TAGS = new Set([
  'script',
  'foreignobject',
  'iframe',
  'object',
  'embed',
  'use',
  'image',
  'a',
  'style',
  'animate',
  'set',
]);

/**
 * Rendered vega SVG is inserted unescaped; check every element and attribute first and refuse
 * anything that could carry script (event handlers, script/foreignObject elements, URL attributes).
 */
export function assertSafeSvg(svg: string): string {
  if (!svg.startsWith('<svg')) throw new Error('refusing to inline a chart that is not an SVG document');
  for (const tag of svg.matchAll(TAG)) {
    const name = tag[1];
    if (FORBIDDEN_TAGS.has(name.toLowerCase())) throw new Error(`refusing to inline an SVG with a <${name}> element`);
    for (const attr of (tag[2] ?? '').matchAll(ATTR)) {
      const name = attr[1].toLowerCase();
      if (name.startsWith('on') || name === 'href' || name === 'xlink:href' || name === 'style') {
        throw new Error(`refusing to inline an SVG with a ${name} attribute`);
      }
    }
  }
  return svg;
}
