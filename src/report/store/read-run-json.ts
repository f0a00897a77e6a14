import { open } from 'node:fs/promises';

/** run.json files larger than this are not read: the run is listed as unreadable instead. */
const RUN_JSON_MAX_BYTES = 1024 * 1024;

export type RunJsonText = { text: string } | { tooLarge: number } | null;

/**
 * Reads a run.json of at most `maxBytes`, checking the size on the open file (a file that grows
 * between the check and the read is still cut off at `maxBytes + 1`). Null when it cannot be read.
 */
export async function readRunJson(file: string, maxBytes = RUN_JSON_MAX_BYTES): Promise<RunJsonText> {
  const fh = await open(file, 'r').catch(() => null);
  if (!fh) return null;
  try {
    const { size } = await fh.stat();
    if (size > maxBytes) return { tooLarge: size };
    const buf = Buffer.alloc(maxBytes + 1);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got > maxBytes) return { tooLarge: got };
    return { text: buf.toString('utf8', 0, got) };
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}

/** The warning of a run whose run.json is over the cap; names the file and the size, never the content. */
export function tooLargeWarning(file: string, size: number, maxBytes = RUN_JSON_MAX_BYTES): string {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${file}: unreadable: ${mb(size)} is over the ${mb(maxBytes)} limit for run.json; not read`;
}
