import { constants, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';

/** What a file is, as far as noticing a change goes. */
export type Identity = { readonly ino: number; readonly size: number; readonly mtimeMs: number } | undefined;

export const identityOf = (s: Stats): Identity => ({ ino: s.ino, size: s.size, mtimeMs: s.mtimeMs });

/**
 * Why a file was not read. `missing`: it does not exist; `outside-root`: its real path is outside
 * `root`; `not-a-file`: a FIFO, device, socket or folder; `too-large`: over `maxFileBytes`;
 * `timeout`: not read within `readTimeoutMs`; `unreadable`: anything else (`code` says what).
 */
export type ReadFailure = 'missing' | 'outside-root' | 'not-a-file' | 'too-large' | 'timeout' | 'unreadable';

export class FileReadError extends Error {
  override name = 'FileReadError';
  constructor(
    readonly reason: ReadFailure,
    /** What the path was when that was found, so it is not read again until it changes. */
    readonly identity: Identity = undefined,
    readonly code?: string,
  ) {
    super(reason);
  }
}

export interface ReadLimits {
  /** Absolute; the real path of every file read must be inside it. */
  readonly root: string | undefined;
  readonly maxFileBytes: number;
  readonly readTimeoutMs: number;
}

const CHUNK_BYTES = 64 * 1024;
/**
 * Reads past their deadline still hold a thread of libuv's pool (4 by default, shared with the
 * whole process): past this many, no new read starts until one ends.
 */
const MAX_STALLED_READS = 2;
// O_NONBLOCK: opening a FIFO swapped in after the type check returns at once instead of waiting
// for a writer; O_NOFOLLOW: the path opened is a real path, so a symbolic link there is a swap.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

const failure = (error: unknown, identity?: Identity): FileReadError => {
  if (error instanceof FileReadError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileReadError('missing');
  if (code === 'ELOOP') return new FileReadError('not-a-file', identity);
  return new FileReadError('unreadable', identity, code);
};

/**
 * Reads the password files of one `htpasswd()` / `htdigest()`: only regular files, only inside
 * `root` when there is one, at most `maxFileBytes`, within `readTimeoutMs`. A FIFO, `/dev/zero`
 * or a link out of `root` is never opened for reading, so it can neither hang nor flood memory.
 */
export class FileReader {
  #stalled = 0;

  constructor(private readonly limits: ReadLimits) {}

  /** The file's text and identity; rejects with a `FileReadError` only. */
  async read(path: string): Promise<{ text: string; identity: Identity }> {
    if (this.#stalled >= MAX_STALLED_READS) throw new FileReadError('timeout');
    const reading = this.#read(path);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#stalled++;
        // The thread stays busy until the system call returns; count it until then.
        reading.then(
          () => this.#stalled--,
          () => this.#stalled--,
        );
        reject(new FileReadError('timeout'));
      }, this.limits.readTimeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([reading, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #read(path: string): Promise<{ text: string; identity: Identity }> {
    const { root, maxFileBytes } = this.limits;
    let real: string;
    let found: Stats;
    try {
      real = await realpath(path);
      if (root !== undefined) {
        const realRoot = await realpath(root);
        if (!real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) throw new FileReadError('outside-root');
      }
      found = await stat(real);
    } catch (error) {
      throw failure(error);
    }
    // Checked before opening: opening a device or a FIFO can block or have side effects.
    if (!found.isFile()) throw new FileReadError('not-a-file', identityOf(found));
    if (found.size > maxFileBytes) throw new FileReadError('too-large', identityOf(found));
    let handle;
    try {
      handle = await open(real, OPEN_FLAGS);
    } catch (error) {
      throw failure(error, identityOf(found));
    }
    try {
      const opened = await handle.stat();
      // Swapped for something else between the check and the open.
      if (!opened.isFile() || opened.ino !== found.ino || opened.dev !== found.dev) throw new FileReadError('not-a-file', identityOf(opened));
      const identity = identityOf(opened);
      // The size may have grown since: read at most one byte past the cap, to know.
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, maxFileBytes + 1 - total));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        total += bytesRead;
        if (total > maxFileBytes) throw new FileReadError('too-large', identity);
      }
      return { text: Buffer.concat(chunks, total).toString('utf8'), identity };
    } catch (error) {
      throw failure(error, identityOf(found));
    } finally {
      await handle.close().catch(() => {});
    }
  }
}
