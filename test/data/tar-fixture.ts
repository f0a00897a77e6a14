import { gzipSync } from 'node:zlib';
import { Header, type HeaderData } from 'tar';

export interface Member {
  path: string;
  type?: HeaderData['type'];
  data?: Buffer;
  linkpath?: string;
}

/** A gzipped ustar archive built header by header, so tests can include members no honest tool would write. */
export function tarGz(members: Member[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const data = m.data ?? Buffer.alloc(0);
    const type = m.type ?? 'File';
    const header = new Header({
      path: m.path,
      type,
      mode: type === 'Directory' ? 0o755 : 0o644,
      size: type === 'File' ? data.length : 0,
      linkpath: m.linkpath,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && data.length > 0) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks), { level: 1 });
}
