import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Answers "did the mail server accept these messages?" by our message id. SMTP itself cannot
 * tell after the fact; a relay's message log can, and so can the local sink's outbox, whose
 * `.eml` files are written before it replies 250.
 */
export interface DeliveryLedger {
  accepted(messageIds: readonly string[]): Promise<Set<string>>;
}

/** The local SMTP sink's outbox as a ledger: a message was accepted iff a file carries its Message-ID. */
export function outboxLedger(dir: string): DeliveryLedger {
  return {
    async accepted(messageIds) {
      const wanted = new Set(messageIds);
      const found = new Set<string>();
      const files = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [] as string[];
        throw err;
      });
      for (const file of files.filter((f) => f.endsWith('.eml'))) {
        const handle = await fs.open(path.join(dir, file));
        try {
          const { buffer, bytesRead } = await handle.read(Buffer.alloc(8192), 0, 8192, 0);
          const id = /^message-id:\s*<([^@>\s]+)@/im.exec(buffer.subarray(0, bytesRead).toString('utf8'))?.[1];
          if (id && wanted.has(id)) found.add(id);
        } finally {
          await handle.close();
        }
      }
      return found;
    },
  };
}
