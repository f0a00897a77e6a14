import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, type ExpressHandlebars } from 'express-handlebars';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const templatesDir = join(projectRoot, 'templates');
export const publicDir = join(projectRoot, 'public');

const TAG = /<([a-zA-Z][\w:.-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'))?)*)\s*\/?>/g;
const ATTR = /([^\s=]+)(?:\s*=\s*("[^"]*"|'[^']*'))?/g;
const FORBIDDEN_TAGS = new Set(['script', 'foreignobject', 'iframe', 'object', 'embed', 'use', 'image', 'a', 'style', 'animate', 'set']);

/**
 * Rendered vega SVG is inserted unescaped; check every element and attribute first and refuse
 * anything that could carry script (event handlers, script/foreignObject elements, URL attributes).
 */
export function assertSafeSvg(svg: string): string {
  if (!svg.startsWith('<svg')) throw new Error('refusing to inline a chart that is not an SVG document');
  for (const tag of svg.matchAll(TAG)) {
    if (FORBIDDEN_TAGS.has(tag[1].toLowerCase())) throw new Error(`refusing to inline an SVG with a <${tag[1]}> element`);
    for (const attr of (tag[2] ?? '').matchAll(ATTR)) {
      const name = attr[1].toLowerCase();
      if (name.startsWith('on') || name === 'href' || name === 'xlink:href' || name === 'style') {
        throw new Error(`refusing to inline an SVG with a ${name} attribute`);
      }
    }
  }
  return svg;
}

/** One Handlebars setup for the live site and the static export, so both render the same markup. */
export function createTemplates(): ExpressHandlebars {
  const templates = create({
    extname: '.hbs',
    defaultLayout: 'main',
    layoutsDir: join(templatesDir, 'layouts'),
    partialsDir: join(templatesDir, 'partials'),
  });
  const { SafeString } = templates.handlebars as typeof import("handlebars");
  templates.helpers = {
      svg: (svg: unknown) => (typeof svg === 'string' ? new SafeString(assertSafeSvg(svg)) : ''),
      // Only our own CSS/JS files reach this helper (see siteAssets); `</` is broken up so the
      // content can never close the surrounding element.
      inlineAsset: (text: unknown) => new SafeString(String(text).replace(/<\//g, '<\\/')),
      gt: (a: unknown, b: unknown) => Number(a) > Number(b),
  };
  return templates;
}

export function readAsset(name: 'site.css' | 'site.js'): string {
  return readFileSync(join(publicDir, name), 'utf8');
}

export async function renderPage(templates: ExpressHandlebars, page: string, context: Record<string, unknown>): Promise<string> {
  return templates.renderView(join(templatesDir, `${page}.hbs`), { ...context, layout: 'main' });
}
