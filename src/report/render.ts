import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, type ExpressHandlebars } from 'express-handlebars';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const templatesDir = join(projectRoot, 'templates');
export const publicDir = join(projectRoot, 'public');

/** Rendered vega SVG is inserted unescaped; refuse anything that could carry script. */
export function assertSafeSvg(svg: string): string {
  if (!svg.startsWith('<svg') || /<script|<foreignObject|\son[a-z]+\s*=|javascript:/i.test(svg)) {
    throw new Error('refusing to inline an SVG that contains script');
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
