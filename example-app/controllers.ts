import {
  Body,
  CurrentUser,
  Delete,
  ForbiddenError,
  Get,
  HttpCode,
  JsonController,
  NotFoundError,
  OnUndefined,
  Param,
  Patch,
  Post,
} from 'routing-controllers';
// In your app: import { LoginRequired } from 'routing-controllers-httpauth';
import { LoginRequired } from '../src';
import { articles, CreateArticleDto, settings, UpdateArticleDto, UpdateSettingsDto, type Article, type Settings } from './articles';
import { ApiKeyAuth, UserAuth } from './auth';
import { DEMO_API_KEY, DEMO_USERS, type Principal, type User } from './users';

/** Public: no `@LoginRequired`, so no credentials are asked for. */
@JsonController()
export class IndexController {
  @Get('/')
  index() {
    return {
      name: 'routing-controllers-httpauth example API',
      endpoints: {
        'GET /': 'this index (public)',
        'GET /me': 'the logged-in user (any user)',
        'GET /feed': 'latest articles, personalised when logged in (login optional)',
        'GET /articles, GET /articles/:id': "role 'reader'",
        'POST /articles, PATCH /articles/:id': "roles 'editor' and 'verified'",
        'DELETE /articles/:id': "role 'admin', or 'owner' for one's own articles",
        'GET /settings': "role 'reader'",
        'PATCH /settings': "role 'admin'",
        'GET /machine/status': 'a user (Basic) or a machine client (X-API-Key)',
        'GET /admin/': "static page, role 'admin'", 'GET /docs/': 'Swagger UI (OpenAPI document at /openapi.json)',
        'POST /auth/token': 'Basic login: an access token (15 min) and a refresh token',
        'POST /auth/refresh, POST /auth/logout': '{ "refresh_token": … }: a new pair, or the login revoked',
        'GET /auth/whoami': "an access token with scope 'articles:read'",
      },
      demo: {
        users: DEMO_USERS.map(({ username, password, roles }) => ({ username, password, roles })),
        apiKey: { header: 'X-API-Key', value: DEMO_API_KEY },
      },
    };
  }
}

/** Login required: any valid user. */
@JsonController('/me')
@LoginRequired()
export class MeController {
  @Get('/')
  me(@CurrentUser() user: User): User {
    return user;
  }
}

/** Login optional: anonymous requests get the public feed; wrong credentials still get 401. */
@JsonController('/feed')
export class FeedController {
  @Get('/')
  @LoginRequired({ optional: true })
  feed(@CurrentUser() user?: User) {
    const latest = articles.list().slice(-5).reverse().map(({ id, title, author }) => ({ id, title, author }));
    if (!user) return { greeting: 'Hello, guest. Log in for your own articles.', latest };
    return {
      greeting: `Hello, ${user.name}.`,
      latest,
      yours: articles.list().filter((a) => a.author === user.username).map(({ id, title }) => ({ id, title })),
    };
  }
}

/** Roles: `reader` for the whole controller, overridden per action. Bodies are validated DTOs. */
@JsonController('/articles')
@LoginRequired({ role: 'reader' })
export class ArticlesController {
  @Get('/')
  list(): Article[] {
    return articles.list();
  }

  @Get('/:id')
  get(@Param('id') id: number): Article {
    return found(articles.get(id));
  }

  /** All of: the inner list means the user must hold both roles. */
  @Post('/')
  @HttpCode(201)
  @LoginRequired({ role: [['editor', 'verified']] })
  create(@Body() body: CreateArticleDto, @CurrentUser() user: User): Article {
    return articles.add(body, user.username);
  }

  @Patch('/:id')
  @LoginRequired({ role: [['editor', 'verified']] })
  update(@Param('id') id: number, @Body() body: UpdateArticleDto): Article {
    return found(articles.update(id, body));
  }

  /**
   * Any of: admins, or owners. A role cannot depend on the article, so the route admits every
   * `owner` and the action then checks that this owner wrote this article.
   */
  @Delete('/:id')
  @OnUndefined(204)
  @LoginRequired({ role: ['admin', 'owner'] })
  remove(@Param('id') id: number, @CurrentUser() user: User): void {
    const article = found(articles.get(id));
    if (!user.roles.includes('admin') && article.author !== user.username) {
      throw new ForbiddenError('only the author or an admin may delete this article');
    }
    articles.remove(id);
  }
}

/** Roles per HTTP method: readers may look, only admins may change (HEAD follows GET). */
@JsonController('/settings')
@LoginRequired({ role: { GET: 'reader', '*': 'admin' } })
export class SettingsController {
  @Get('/')
  get(): Settings {
    return settings;
  }

  @Patch('/')
  update(@Body() body: UpdateSettingsDto): Settings {
    if (body.siteName !== undefined) settings.siteName = body.siteName;
    if (body.commentsEnabled !== undefined) settings.commentsEnabled = body.commentsEnabled;
    return settings;
  }
}

/** MultiAuth: a user with Basic, or a machine client with its API key. */
@JsonController('/machine')
export class MachineController {
  @Get('/status')
  @LoginRequired({ auth: [UserAuth, ApiKeyAuth] })
  status(@CurrentUser() caller: Principal) {
    return {
      status: 'ok',
      uptimeSeconds: Math.round(process.uptime()),
      articles: articles.list().length,
      caller: caller.kind === 'user' ? { kind: 'user', username: caller.username } : { kind: 'client', name: caller.name },
    };
  }
}

function found<T>(value: T | undefined): T {
  if (value === undefined) throw new NotFoundError('no such article');
  return value;
}
