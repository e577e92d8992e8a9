import fs from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export interface Source {
  stream: Readable;
  /** Bytes of the file on disk, and how many have been read so far (for progress). */
  size: number;
  bytesRead(): number;
}

/** Whether the file starts with the gzip magic bytes (whatever its name). */
function isGzip(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  const magic = Buffer.alloc(2);
  fs.readSync(fd, magic, 0, 2, 0);
  fs.closeSync(fd);
  return magic[0] === 0x1f && magic[1] === 0x8b;
}

/** Opens a file, gunzipping it when it is gzip. */
export function openSource(file: string): Source {
  const size = fs.statSync(file).size;
  const gzipped = isGzip(file);
  const raw = fs.createReadStream(file);
  return { stream: gzipped ? raw.pipe(createGunzip()) : raw, size, bytesRead: () => raw.bytesRead };
}

/**
 * Reads a gzip file to its end without keeping anything: a truncated download or a damaged file
 * fails here, before the first batch is stored, instead of half-way through an import.
 * Decompressing is far faster than storing, so the extra pass costs little.
 */
export async function checkGzip(file: string): Promise<{ ok: true } | { ok: false; error: string }> {
  if (!isGzip(file)) return { ok: true };
  try {
    await pipeline(
      fs.createReadStream(file),
      createGunzip(),
      new Writable({ write: (_chunk, _encoding, done) => done() }),
    );
    return { ok: true };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // zlib's errors (Z_BUF_ERROR: cut short, Z_DATA_ERROR: damaged) are the file's; others are ours.
    if (typeof code === 'string' && code.startsWith('Z_'))
      return { ok: false, error: `not a complete gzip file (${(err as Error).message})` };
    throw err;
  }
}
