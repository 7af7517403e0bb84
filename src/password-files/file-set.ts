import { join, resolve } from 'node:path';
import { LRUCache } from 'lru-cache';
import { appLinkOf, type AppLink } from '../internal/app-link';
import { rateLimitedLog, type AuthLogger, type LimitedLog } from '../internal/log';
import type { ResolvedFileOptions } from './options';
import { FileReader } from './read-file';
import { WatchedFile, type WatchOptions } from './watched-file';

/**
 * Where a file is: a fixed path, or a function of the request returning one file name in
 * `options.root` (per tenant).
 * @example
 * ```ts
 * const perTenant: PathSource<HookRequest> = (request) => `${tenantOf(request)}.htpasswd`;
 * ```
 */
export type PathSource<R> = string | ((request: R) => string);

/** What `htpasswd()` / `htdigest()` tell the file set about their format. */
export interface FileFormat<T> {
  /** `htpasswd` or `htdigest`, for messages. */
  readonly what: string;
  readonly parse: (text: string, path: string, log: LimitedLog) => T;
  /** What a missing, deleted or refused file says: nobody. */
  readonly empty: T;
  /** The users whose entry a new version changed or removed (their cached logins must go). */
  readonly changedUsers: (before: T, after: T) => ReadonlySet<string>;
}

/**
 * One file name from the request: a single path segment of safe characters, never `.`/`..` nor
 * a hidden file. Whatever else the function returns (`../x`, a full path, a URL-encoded name)
 * names no file.
 */
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Past this many dead references, adding a link sweeps them. */
const LINK_SWEEP = 16;

/**
 * The apps whose hooks used a file set, held weakly: a module-level file shared by many apps
 * (tests build one per case) keeps none of them alive.
 */
class AppLinks {
  readonly #known = new WeakSet<AppLink>();
  readonly #refs = new Set<WeakRef<AppLink>>();

  add(link: AppLink): void {
    if (this.#known.has(link)) return;
    this.#known.add(link);
    if (this.#refs.size >= LINK_SWEEP) this.live();
    this.#refs.add(new WeakRef(link));
  }

  live(): AppLink[] {
    const links: AppLink[] = [];
    for (const ref of this.#refs) {
      const link = ref.deref();
      if (link) links.push(link);
      else this.#refs.delete(ref);
    }
    return links;
  }
}

/**
 * The files of one `htpasswd()` / `htdigest()`, each loaded once. Files that were read and names
 * that found nothing are kept apart (each at most `maxFiles`, least recently used closed first),
 * so requests naming made-up tenants never push real tenants' files out.
 */
export class FileSet<T, R> {
  readonly #found: LRUCache<string, WatchedFile<T>>;
  readonly #notFound: LRUCache<string, WatchedFile<T>>;
  readonly #links = new AppLinks();
  readonly #log: LimitedLog;
  readonly #options: WatchOptions<T>;

  constructor(
    private readonly source: PathSource<R>,
    private readonly format: FileFormat<T>,
    private readonly resolved: ResolvedFileOptions,
  ) {
    // One limiter per file set, with fixed kinds: its lines go to whichever loggers apply now.
    this.#log = rateLimitedLog({
      warn: (message) => this.#loggers().forEach((logger) => logger.warn(message)),
      error: (message) => this.#loggers().forEach((logger) => logger.error(message)),
    });
    const log = this.#log;
    this.#options = {
      ...resolved,
      what: format.what,
      empty: format.empty,
      log,
      reader: new FileReader(resolved),
      parse: (text, path) => format.parse(text, path, log),
      replaced: (before, after) => this.#forget(format.changedUsers(before, after)),
    };
    // A file no longer watched can change unseen: the logins it vouched for are forgotten.
    const evicted = (file: WatchedFile<T>, _path: string, reason: LRUCache.DisposeReason) => {
      if (reason !== 'evict') return;
      file.close();
      this.#forget(format.changedUsers(file.value, format.empty));
    };
    this.#found = new LRUCache({ max: resolved.maxFiles, dispose: evicted });
    this.#notFound = new LRUCache({ max: resolved.maxFiles, dispose: evicted });
  }

  /** What the request's file says (nobody for a name that is not one file name in `root`). */
  async get(request: R | undefined): Promise<T> {
    const link = appLinkOf(request);
    if (link) this.#links.add(link);
    const path = this.#pathFor(request);
    if (path === undefined) return this.format.empty;
    let file = this.#found.get(path) ?? this.#notFound.get(path);
    if (!file) {
      file = new WatchedFile(path, this.#options);
      this.#notFound.set(path, file);
    }
    const value = await file.get();
    if (file.found && this.#notFound.peek(path) === file) {
      this.#notFound.delete(path);
      this.#found.set(path, file);
    }
    return value;
  }

  close(): void {
    for (const cache of [this.#found, this.#notFound]) {
      for (const file of cache.values()) file.close();
      cache.clear();
    }
  }

  #pathFor(request: R | undefined): string | undefined {
    const { source } = this;
    if (typeof source === 'string') return resolve(source);
    if (request === undefined) {
      throw new TypeError(`http-auth: ${this.format.what}(): the path is a function of the request; pass the hook's request as the last argument`);
    }
    const name: unknown = source(request);
    if (typeof name === 'string' && FILE_NAME.test(name)) return join(this.resolved.root!, name);
    // Usually a client's doing (a tenant header such as "../x"): refused, and the value is not
    // logged, since the client chose it.
    this.#log.warn(
      'file-name',
      `http-auth: ${this.format.what}(): the path function returned ${typeof name === 'string' ? 'a string that is not one file name' : typeof name}; it must return a file name in ${this.resolved.root} (1 to 128 characters of A-Z a-z 0-9 . _ -, not starting with "."), and the request is refused`,
    );
    return undefined;
  }

  #loggers(): readonly AuthLogger[] {
    if (this.resolved.logger) return [this.resolved.logger];
    const loggers = new Set(this.#links.live().map((link) => link.logger));
    return loggers.size > 0 ? [...loggers] : [console];
  }

  #forget(users: ReadonlySet<string>): void {
    if (users.size === 0) return;
    for (const link of this.#links.live()) link.clearCache((name) => users.has(name));
  }
}
