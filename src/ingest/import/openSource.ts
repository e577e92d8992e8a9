import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface Source {
  stream: Readable;
  /** Bytes of the file on disk, and how many have been read so far (for progress). */
  size: number;
  bytesRead(): number;
}

/** Opens a file, gunzipping it when it starts with the gzip magic bytes (whatever its name). */
export function openSource(file: string): Source {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const magic = Buffer.alloc(2);
  fs.readSync(fd, magic, 0, 2, 0);
  fs.closeSync(fd);
  const raw = fs.createReadStream(file);
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
  return { stream: gzipped ? raw.pipe(createGunzip()) : raw, size, bytesRead: () => raw.bytesRead };
}
