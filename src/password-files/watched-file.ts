import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { LimitedLog } from '../internal/log';

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
  readonly log: LimitedLog;
  readonly debounceMs: number;
  readonly checkIntervalMs: number;
}

type Identity = { readonly ino: number; readonly size: number; readonly mtimeMs: number } | undefined;

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

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  async #checkStat(): Promise<void> {
    const now = await stat(this.path).then(
      (s): Identity => ({ ino: s.ino, size: s.size, mtimeMs: s.mtimeMs }),
      () => undefined,
    );
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
    let identity: Identity;
    try {
      const s = await stat(this.path);
      identity = { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (this.#identity !== undefined || this.#value !== this.options.empty) {
          log.error(`deleted:${this.path}`, `http-auth: ${what} ${this.path} was deleted; everyone is refused until it is back`);
        } else {
          // Paths may come from requests (per tenant): one line a minute for all missing files.
          log.error('missing', `http-auth: ${what} ${this.path} does not exist; everyone is refused until it does`);
        }
        this.#value = this.options.empty;
        this.#identity = undefined;
        this.#unwatch();
      } else {
        log.error(`unreadable:${this.path}`, `http-auth: ${what} ${this.path} cannot be read (${code ?? 'error'}); keeping the last good version`);
      }
      return;
    }
    this.#identity = identity;
    this.#watch(identity.ino);
    try {
      this.#value = this.options.parse(text, this.path);
    } catch (error) {
      // Whatever went wrong, the last good version stays: a reload must never leave the file unusable.
      const where = error instanceof FileParseError ? `line ${error.line}: ${error.message}` : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
      log.error(`parse:${this.path}`, `http-auth: ${what} ${this.path} ${where}; keeping the last good version`);
    }
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

/**
 * Where a file is: a fixed path, or one chosen per request (per tenant).
 * @example
 * ```ts
 * const perTenant: PathSource<HookRequest> = (request) => `/etc/app/${tenantOf(request)}.htpasswd`;
 * ```
 */
export type PathSource<R> = string | ((request: R) => string);

/** The files of one `htpasswd()` / `htdigest()`: each loaded once, the least recently used closed past `maxFiles`. */
export class FileSet<T, R> {
  readonly #files: LRUCache<string, WatchedFile<T>>;

  constructor(
    private readonly source: PathSource<R>,
    private readonly options: WatchOptions<T>,
    maxFiles: number,
  ) {
    this.#files = new LRUCache({ max: maxFiles, dispose: (file) => file.close() });
  }

  get(request: R | undefined): Promise<T> {
    const { source } = this;
    let path: unknown = source;
    if (typeof source === 'function') {
      if (request === undefined) {
        throw new TypeError(`http-auth: ${this.options.what}(): the path is a function of the request; pass the hook's request as the last argument`);
      }
      path = source(request);
    }
    if (typeof path !== 'string' || path === '') throw new TypeError(`http-auth: ${this.options.what}(): the path function returned ${path === '' ? 'an empty string' : typeof path}; return a file path`);
    const absolute = resolve(path);
    let file = this.#files.get(absolute);
    if (!file) {
      file = new WatchedFile(absolute, this.options);
      this.#files.set(absolute, file);
    }
    return file.get();
  }

  close(): void {
    this.#files.clear();
  }
}
