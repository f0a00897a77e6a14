const dash = '—';

export function pct(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? dash : `${(v * 100).toFixed(digits)} %`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return dash;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  if (m < 60) return `${m} min ${total - m * 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} min`;
}

const prefixes = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** 1234567 → "1.23 M" (SI prefixes; `unit` appended). */
export function si(v: number | null | undefined, unit = '', digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash;
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1000 && i < prefixes.length - 1) {
    x /= 1000;
    i += 1;
  }
  const sign = v < 0 ? '-' : '';
  return `${sign}${Number(x.toPrecision(digits))} ${prefixes[i]}${unit}`.trim();
}

export function fixed(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? dash : v.toFixed(digits);
}

export function int(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? dash : Math.round(v).toLocaleString('en-US');
}

/** Three significant digits; SI prefixes from 1000 up (ratios such as accuracy per PFLOP). */
export function compact(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return dash;
  if (Math.abs(v) >= 1000) return si(v);
  return String(Number(v.toPrecision(3)));
}

/**
 * Untrusted free text (run.json notes, error messages) as a page shows it: at most `lines` lines
 * and `chars` characters, with a note of what was left out; the exports keep the whole text.
 */
export function clip(text: string, lines: number, chars: number): string {
  const kept = text.split('\n').slice(0, lines).join('\n').slice(0, chars);
  return kept.length < text.length ? `${kept} … (${text.length - kept.length} more characters)` : text;
}
