import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Length, MaxLength } from 'class-validator';

export interface Article {
  readonly id: number;
  readonly title: string;
  readonly body: string;
  readonly tags: readonly string[];
  readonly author: string;
  readonly createdAt: string;
}

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/**
 * The body of `POST /articles`. routing-controllers turns the JSON into this class with
 * class-transformer (running the `@Transform`s) and validates it with class-validator; a
 * violation is answered with 400 before the action runs.
 */
export class CreateArticleDto {
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  title!: string;

  @IsString()
  @MaxLength(10_000)
  body!: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Length(1, 30, { each: true })
  tags?: string[];
}

/** The body of `PATCH /articles/:id`: every field optional. */
export class UpdateArticleDto {
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  title?: string;

  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  body?: string;
}

/** The body of `PATCH /settings`. */
export class UpdateSettingsDto {
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 60)
  siteName?: string;

  @IsOptional()
  @IsBoolean()
  commentsEnabled?: boolean;
}

export interface Settings {
  siteName: string;
  commentsEnabled: boolean;
}

/**
 * In-memory articles. routing-controllers creates each controller once through its container, so
 * the controllers reach their data through module scope here; a real app would inject a
 * repository (typedi, `useContainer`).
 */
export class ArticleStore {
  readonly #articles = new Map<number, Article>();
  #nextId = 1;

  list(): Article[] {
    return [...this.#articles.values()];
  }

  get(id: number): Article | undefined {
    return this.#articles.get(id);
  }

  add(input: { title: string; body: string; tags?: readonly string[] }, author: string): Article {
    const article: Article = Object.freeze({
      id: this.#nextId++,
      title: input.title,
      body: input.body,
      tags: Object.freeze([...(input.tags ?? [])]),
      author,
      createdAt: new Date().toISOString(),
    });
    this.#articles.set(article.id, article);
    return article;
  }

  update(id: number, changes: { title?: string; body?: string }): Article | undefined {
    const current = this.#articles.get(id);
    if (!current) return undefined;
    const updated: Article = Object.freeze({ ...current, ...definedOnly(changes) });
    this.#articles.set(id, updated);
    return updated;
  }

  remove(id: number): boolean {
    return this.#articles.delete(id);
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const articles = new ArticleStore();
articles.add({ title: 'Welcome', body: 'The first article of the example API.', tags: ['intro'] }, 'alice');

export const settings: Settings = { siteName: 'Example API', commentsEnabled: true };
