import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, type ExpressHandlebars } from 'express-handlebars';
import { assertSafeSvg } from './safe-svg.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const templatesDir = join(projectRoot, 'templates');
export const publicDir = join(projectRoot, 'public');

/** One Handlebars setup for the live site and the static export, so both render the same markup. */
export function createTemplates(): ExpressHandlebars {
  const templates = create({
    extname: '.hbs',
    defaultLayout: 'main',
    layoutsDir: join(templatesDir, 'layouts'),
    partialsDir: join(templatesDir, 'partials'),
  });
  const { SafeString } = templates.handlebars as typeof import('handlebars');
  templates.helpers = {
    svg: (svg: unknown) => (typeof svg === 'string' ? new SafeString(assertSafeSvg(svg)) : ''),
    // Only our own CSS/JS files reach this helper (see siteContext); `</` is broken up so the
    // content can never close the surrounding element.
    inlineAsset: (text: unknown) => new SafeString(String(text).replace(/<\//g, '<\\/')),
    gt: (a: unknown, b: unknown) => Number(a) > Number(b),
    eq: (a: unknown, b: unknown) => a === b,
    // Chart data inside <script type="application/json">: `<` escaped so no text can end the element.
    json: (value: unknown) => new SafeString(JSON.stringify(value ?? null).replace(/</g, '\\u003c')),
  };
  return templates;
}

export function readAsset(name: 'site.css' | 'site.js'): string {
  return readFileSync(join(publicDir, name), 'utf8');
}

export async function renderPage(
  templates: ExpressHandlebars,
  page: string,
  context: Record<string, unknown>,
): Promise<string> {
  return templates.renderView(join(templatesDir, `${page}.hbs`), { ...context, layout: 'main' });
}
