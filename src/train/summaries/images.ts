import { PNG } from 'pngjs';

interface RgbImage {
  width: number;
  height: number;
  png: Uint8Array;
}

function canvas(width: number, height: number, rgb: [number, number, number] = [255, 255, 255]): PNG {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[i * 4] = rgb[0];
    png.data[i * 4 + 1] = rgb[1];
    png.data[i * 4 + 2] = rgb[2];
    png.data[i * 4 + 3] = 255;
  }
  return png;
}

function fillRect(png: PNG, x: number, y: number, w: number, h: number, rgb: readonly [number, number, number]): void {
  for (let yy = Math.max(0, y); yy < Math.min(png.height, y + h); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(png.width, x + w); xx++) {
      const o = (yy * png.width + xx) * 4;
      png.data[o] = rgb[0];
      png.data[o + 1] = rgb[1];
      png.data[o + 2] = rgb[2];
    }
  }
}

/** 3×5 bitmaps of the digits 0–9, one row per 3-bit number (MSB = left column). */
const DIGITS: number[][] = [
  [7, 5, 5, 5, 7],
  [2, 6, 2, 2, 7],
  [7, 1, 7, 4, 7],
  [7, 1, 7, 1, 7],
  [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7],
  [7, 4, 7, 5, 7],
  [7, 1, 1, 1, 1],
  [7, 5, 7, 5, 7],
  [7, 5, 7, 1, 7],
];

/** Draws a non-negative integer centred in a box, at `scale` pixels per font pixel. */
function drawNumber(
  png: PNG,
  value: number,
  cx: number,
  cy: number,
  scale: number,
  rgb: readonly [number, number, number],
): void {
  const text = String(Math.round(value));
  const width = text.length * 4 * scale - scale;
  let x = Math.round(cx - width / 2);
  const y = Math.round(cy - (5 * scale) / 2);
  for (const ch of text) {
    const rows = DIGITS[Number(ch)]!;
    rows.forEach((bits, r) => {
      for (let c = 0; c < 3; c++) if (bits & (4 >> c)) fillRect(png, x + c * scale, y + r * scale, scale, scale, rgb);
    });
    x += 4 * scale;
  }
}

/** White → dark blue, like matplotlib's "Blues". */
function blues(t: number): [number, number, number] {
  const c = Math.min(1, Math.max(0, t));
  return [Math.round(247 - c * (247 - 8)), Math.round(251 - c * (251 - 48)), Math.round(255 - c * (255 - 107))];
}

/** One distinct colour per class, for the axis markers. */
const CLASS_COLORS: [number, number, number][] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

function encode(png: PNG): RgbImage {
  return { width: png.width, height: png.height, png: new Uint8Array(PNG.sync.write(png)) };
}

/**
 * A row-normalised confusion-matrix heatmap (rows = true class, columns = predicted) with each cell's
 * percentage of its row written in it, a class colour key on both axes and a 0…100 % legend bar on
 * the right. The text summary beside it in the run carries the counts and class names.
 */
export function confusionMatrixImage(matrix: number[][], cell = 32): RgbImage {
  const k = matrix.length;
  const margin = 12;
  const legendWidth = 16;
  const width = margin + k * cell + 12 + legendWidth + 4;
  const height = margin + k * cell + 4;
  const png = canvas(width, height);
  for (let r = 0; r < k; r++) {
    const rowTotal = matrix[r]!.reduce((a, b) => a + b, 0);
    fillRect(png, 0, margin + r * cell + 2, margin - 3, cell - 4, CLASS_COLORS[r % 10]!);
    for (let c = 0; c < k; c++) {
      const share = rowTotal > 0 ? matrix[r]![c]! / rowTotal : 0;
      fillRect(png, margin + c * cell, margin + r * cell, cell - 1, cell - 1, blues(share));
      // The row percentage in the cell; light text on dark cells.
      if (share >= 0.005) {
        drawNumber(
          png,
          share * 100,
          margin + c * cell + (cell - 1) / 2,
          margin + r * cell + (cell - 1) / 2,
          cell >= 28 ? 2 : 1,
          share > 0.5 ? [255, 255, 255] : [40, 40, 40],
        );
      }
      if (r === c) {
        // Diagonal cells get a thin dark outline so the correct-prediction line reads at a glance.
        const x = margin + c * cell;
        const y = margin + r * cell;
        fillRect(png, x, y, cell - 1, 1, [0, 0, 0]);
        fillRect(png, x, y + cell - 2, cell - 1, 1, [0, 0, 0]);
        fillRect(png, x, y, 1, cell - 1, [0, 0, 0]);
        fillRect(png, x + cell - 2, y, 1, cell - 1, [0, 0, 0]);
      }
    }
  }
  for (let c = 0; c < k; c++) fillRect(png, margin + c * cell + 2, 0, cell - 4, margin - 3, CLASS_COLORS[c % 10]!);
  const legendX = margin + k * cell + 12;
  const legendHeight = k * cell;
  for (let y = 0; y < legendHeight; y++) {
    fillRect(png, legendX, margin + y, legendWidth, 1, blues(1 - y / (legendHeight - 1)));
  }
  return encode(png);
}

/** The confusion matrix as a markdown table, for the text summary beside the image. */
export function confusionMatrixMarkdown(matrix: number[][], classNames: string[]): string {
  const header = `| true \\ predicted | ${classNames.join(' | ')} |`;
  const rule = `|---|${classNames.map(() => '---:').join('|')}|`;
  const rows = matrix.map((row, r) => `| **${classNames[r]}** | ${row.join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

interface SamplePrediction {
  /** 32×32×3 RGB bytes, HWC. */
  image: Uint8Array;
  label: number;
  predicted: number;
  confidence: number;
}

/**
 * A grid of test images scaled ×`scale`, each framed green (correct) or red (wrong), with a bar
 * under it in the predicted class's colour whose length is the confidence.
 */
export function samplePredictionsImage(samples: SamplePrediction[], columns = 8, scale = 2): RgbImage {
  const side = 32 * scale;
  const border = 3;
  const bar = 6;
  const tileW = side + 2 * border + 4;
  const tileH = side + 2 * border + bar + 6;
  const rows = Math.max(1, Math.ceil(samples.length / columns));
  const png = canvas(columns * tileW, rows * tileH);
  samples.forEach((s, i) => {
    const x0 = (i % columns) * tileW + 2;
    const y0 = Math.floor(i / columns) * tileH + 2;
    fillRect(
      png,
      x0,
      y0,
      side + 2 * border,
      side + 2 * border,
      s.label === s.predicted ? [30, 160, 60] : [210, 40, 40],
    );
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const src = (Math.floor(y / scale) * 32 + Math.floor(x / scale)) * 3;
        const o = ((y0 + border + y) * png.width + x0 + border + x) * 4;
        png.data[o] = s.image[src]!;
        png.data[o + 1] = s.image[src + 1]!;
        png.data[o + 2] = s.image[src + 2]!;
      }
    }
    const barY = y0 + side + 2 * border + 2;
    fillRect(
      png,
      x0,
      barY,
      Math.max(1, Math.round((side + 2 * border) * s.confidence)),
      bar,
      CLASS_COLORS[s.predicted % 10]!,
    );
  });
  return encode(png);
}

export function samplePredictionsMarkdown(samples: SamplePrediction[], classNames: string[], columns = 8): string {
  const lines = samples.map((s, i) => {
    const mark = s.label === s.predicted ? '✓' : '✗';
    const cells = [Math.floor(i / columns) + 1, (i % columns) + 1, classNames[s.label], classNames[s.predicted]];
    return `| ${cells.join(' | ')} | ${(s.confidence * 100).toFixed(1)} % | ${mark} |`;
  });
  return ['| row | column | true | predicted | confidence | |', '|---:|---:|---|---|---:|---|', ...lines].join('\n');
}

export function classColorLegendMarkdown(classNames: string[]): string {
  return classNames
    .map((name, i) => {
      const [r, g, b] = CLASS_COLORS[i % 10]!;
      return `- ${name}: rgb(${r}, ${g}, ${b})`;
    })
    .join('\n');
}
