import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Hex md5 of a file, streamed (never loads the file whole). */
export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
