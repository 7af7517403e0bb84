import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { LimitedLog } from '../internal/log';
import { FileReadError, identityOf, type FileReader, type Identity } from './read-file';

/** A line of a password file that cannot be read: the file keeps its last good version. */
export class FileParseError extends Error {
  override name = 'FileParseError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export interface WatchOptions<T> {
  /** What the file says; throws `FileParseError` naming the line it could not read. */
  readonly parse: (text: string, path: string) => T;
  /** What a missing or deleted file says: nobody. */
  readonly empty: T;
  /** `htpasswd` or `htdigest`, for log lines. */
  readonly what: string;
  /** Kinds are fixed words: a path may hold a name a client chose (per tenant). */
  readonly log: LimitedLog;
  readonly reader: FileReader;
  readonly debounceMs: number;
  readonly checkIntervalMs: number;
  readonly maxFileBytes: number;
  readonly readTimeoutMs: number;
  readonly root: string | undefined;
  /** Called when a reload replaced what the file says (a new version, a deletion, a refusal). */
  readonly replaced: (before: T, after: T) => void;
}

const sameIdentity = (a: Identity, b: Identity): boolean =>
  a === b || (a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs);

/**
 * One file, loaded once and kept current: `fs.watch` (debounced, because an editor or htpasswd
 * writes a file in several steps) says when it changed, and a `stat` at most every
 * `checkIntervalMs`, made by a request, catches what watching misses (network file systems, a
 * file replaced by rename, a file created after it was found missing).
 */
export class WatchedFile<T> {
  #value: T;
  #identity: Identity;
  #loading: Promise<void> | undefined;
  #checking: Promise<void> | undefined;
  #lastCheck = 0;
  #watcher: FSWatcher | undefined;
  #watchedIno: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #found = false;

  constructor(
    readonly path: string,
    private readonly options: WatchOptions<T>,
  ) {
    this.#value = options.empty;
  }

  /** The current contents; the first call loads the file. */
  async get(): Promise<T> {
    if (!this.#loading) {
      this.#lastCheck = Date.now();
      this.#loading = this.#reload();
    }
    await this.#loading;
    if (!this.#closed && Date.now() - this.#lastCheck >= this.options.checkIntervalMs) {
      this.#lastCheck = Date.now();
      this.#checking ??= this.#checkStat().finally(() => (this.#checking = undefined));
    }
    if (this.#checking) await this.#checking;
    return this.#value;
  }

  /** What the file says now (nobody until it is loaded). */
  get value(): T {
    return this.#value;
  }

  /** Whether a file was ever read at this path (rather than found missing or refused). */
  get found(): boolean {
    return this.#found;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  async #checkStat(): Promise<void> {
    const now = await stat(this.path).then(identityOf, () => undefined);
    if (!sameIdentity(now, this.#identity)) await this.#reloadSerially();
  }

  /** Reloads never overlap, so an older read can never replace a newer one. */
  #reloadSerially(): Promise<void> {
    const next = (this.#loading ?? Promise.resolve()).then(() => this.#reload());
    this.#loading = next;
    return next;
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#reloadSerially(), this.options.debounceMs);
    this.#timer.unref();
  }

  async #reload(): Promise<void> {
    if (this.#closed) return;
    const { what, log } = this.options;
    let text: string;
    try {
      ({ text, identity: this.#identity } = await this.options.reader.read(this.path));
    } catch (error) {
      this.#refused(error instanceof FileReadError ? error : new FileReadError('unreadable'));
      return;
    }
    this.#found = true;
    this.#watch(this.#identity!.ino);
    try {
      this.#replace(this.options.parse(text, this.path));
    } catch (error) {
      // Whatever went wrong, the last good version stays: a reload must never leave the file unusable.
      const where = error instanceof FileParseError ? `line ${error.line}: ${error.message}` : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
      log.error('parse', `http-auth: ${what} ${this.path} ${where}; keeping the last good version`);
    }
  }

  /** A file that could not be read: refuses everyone, or keeps its last good version if that may pass. */
  #refused(error: FileReadError): void {
    const { what, log, empty } = this.options;
    const { path } = this;
    switch (error.reason) {
      case 'missing':
        if (this.#identity !== undefined || this.#value !== empty) {
          log.error('deleted', `http-auth: ${what} ${path} was deleted; everyone is refused until it is back`);
        } else {
          // Paths may come from requests (per tenant): one line a minute for all missing files.
          log.error('missing', `http-auth: ${what} ${path} does not exist; everyone is refused until it does`);
        }
        this.#identity = undefined;
        this.#unwatch();
        this.#replace(empty);
        return;
      case 'outside-root':
      case 'not-a-file': {
        const why = error.reason === 'outside-root' ? `leads out of ${this.options.root} (a symbolic link)` : 'is not a regular file';
        log.error(error.reason, `http-auth: ${what} ${path} ${why}; it is not read, and everyone is refused`);
        this.#identity = error.identity;
        this.#unwatch();
        this.#replace(empty);
        return;
      }
      case 'too-large':
        this.#identity = error.identity;
        log.error('too-large', `http-auth: ${what} ${path} is larger than maxFileBytes (${this.options.maxFileBytes}); it is not read, keeping the last good version`);
        return;
      case 'timeout':
        // Not the identity: the next check tries again.
        log.error('timeout', `http-auth: ${what} ${path} was not read within readTimeoutMs (${this.options.readTimeoutMs} ms); keeping the last good version`);
        return;
      default:
        this.#identity = error.identity;
        log.error('unreadable', `http-auth: ${what} ${path} cannot be read (${error.code ?? 'error'}); keeping the last good version`);
    }
  }

  #replace(value: T): void {
    const before = this.#value;
    this.#value = value;
    if (before !== value) this.options.replaced(before, value);
  }

  #watch(ino: number): void {
    if (this.#closed || (this.#watcher && this.#watchedIno === ino)) return;
    // A replaced file (rename over it) is a new inode: the old watcher would hear nothing more.
    this.#unwatch();
    try {
      const watcher = watch(this.path, { persistent: false }, () => this.#schedule());
      watcher.on('error', () => this.#unwatch());
      watcher.unref?.();
      this.#watcher = watcher;
      this.#watchedIno = ino;
    } catch {
      // No watching here (e.g. too many watchers): the stat check still notices changes.
    }
  }

  #unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#watchedIno = undefined;
  }
}
