import SwaggerParser from '@apidevtools/swagger-parser';
import { Get, getMetadataArgsStorage, JsonController, Post } from 'routing-controllers';
import { routingControllersToSpec } from 'routing-controllers-openapi';
import { BasicAuth, createAuthCheckers, DigestAuth, GetPassword, GetUserRoles, LoginRequired, TokenAuth, VerifyPassword, VerifyToken } from '../../src';
import { recordingLogger } from '../helpers';

// Issue 9 §2: the OpenAPI document knows the auth.

@BasicAuth({ openApiName: 'users' })
class Users {
  @VerifyPassword() verify(username: string) {
    return username || null;
  }
  @GetUserRoles() roles() {
    return ['reader'];
  }
}

@TokenAuth({ bearerFormat: 'JWT' })
class Jwt {
  @VerifyToken() verify() {
    return null;
  }
}

@TokenAuth({ header: 'X-API-Key', query: 'api_key', cookie: 'session', scheme: 'ApiKey' })
class Keys {
  @VerifyToken() verify() {
    return null;
  }
  @GetUserRoles() roles() {
    return [];
  }
}

@DigestAuth({ secret: 'openapi', algorithm: ['SHA-256', 'MD5'] })
class DigestUsers {
  @GetPassword() password() {
    return undefined;
  }
  @GetUserRoles() roles() {
    return [];
  }
}

@JsonController('/things')
class ThingsController {
  @Get('/open') open() {
    return {};
  }
  @Get('/') @LoginRequired() list() {
    return [];
  }
  @Get('/feed') @LoginRequired({ optional: true, auth: [Users, Jwt] }) feed() {
    return [];
  }
  @Post('/') @LoginRequired({ role: { POST: [['editor', 'verified']], GET: 'reader' }, auth: [Users, Keys] }) create() {
    return {};
  }
  @Get('/digest') @LoginRequired({ auth: DigestUsers, role: ['admin', 'owner'] }) digest() {
    return {};
  }
}

const checkers = () => createAuthCheckers([new Users(), new Jwt(), new Keys(), new DigestUsers()], { logger: recordingLogger() });
const specOf = () =>
  routingControllersToSpec(getMetadataArgsStorage(), { controllers: [ThingsController] }, { info: { title: 'Things', version: '1' } }) as unknown as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components?: Record<string, unknown>;
  };

describe('auth.openApiSecuritySchemes()', () => {
  it('describes every auth class passed, by class name or openApiName', () => {
    expect(checkers().openApiSecuritySchemes()).toEqual({
      users: { type: 'http', scheme: 'basic', description: 'HTTP Basic (RFC 7617), realm "Authentication Required"' },
      Jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      Keys: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      KeysQuery: { type: 'apiKey', in: 'query', name: 'api_key' },
      KeysCookie: { type: 'apiKey', in: 'cookie', name: 'session' },
      DigestUsers: { type: 'http', scheme: 'digest', description: 'HTTP Digest (RFC 7616), realm "Authentication Required", SHA-256 or MD5' },
    });
  });

  it.each([
    ['an openApiName that is not a component name', () => BasicAuth({ openApiName: 'has space' })(class A {}), /openApiName must be letters/],
    ['bearerFormat on a custom header', () => TokenAuth({ header: 'X-Key', bearerFormat: 'JWT' })(class B {}), /bearerFormat documents a Bearer scheme/],
  ])('throws at decoration for %s', (_label, decorate, message) => {
    expect(decorate).toThrow(message);
  });
});

describe('auth.applyOpenApiSecurity(spec)', () => {
  const apply = () => {
    const spec = specOf();
    const before = JSON.stringify(spec);
    const out = checkers().applyOpenApiSecurity(spec) as ReturnType<typeof specOf>;
    return { spec, before, out };
  };

  it('leaves the input unchanged and unprotected operations untouched', () => {
    const { spec, before, out } = apply();
    expect(JSON.stringify(spec)).toBe(before);
    expect(out.paths['/things/open'].get).toEqual(spec.paths['/things/open'].get);
  });

  it.each([
    ['the default auth', '/things/', 'get', [{ users: [] }]],
    ['optional MultiAuth: alternatives plus {}', '/things/feed', 'get', [{ users: [] }, { Jwt: [] }, {}]],
    ['every source of a token class', '/things/', 'post', [{ users: [] }, { Keys: [] }, { KeysQuery: [] }, { KeysCookie: [] }]],
    ['Digest', '/things/digest', 'get', [{ DigestUsers: [] }]],
  ])('gives %s as security', (_label, path, method, security) => {
    expect(apply().out.paths[path][method].security).toEqual(security);
  });

  it('documents the roles of the operation\'s method, in x-required-roles and the description', () => {
    const { out } = apply();
    expect(out.paths['/things/'].post['x-required-roles']).toEqual([['editor', 'verified']]);
    expect(out.paths['/things/'].post.description).toMatch(/Required roles: all of \(editor, verified\)\./);
    expect(out.paths['/things/digest'].get['x-required-roles']).toEqual([['admin'], ['owner']]);
    expect(out.paths['/things/digest'].get.description).toMatch(/Required roles: admin or owner\./);
    expect(out.paths['/things/'].get['x-required-roles']).toBeUndefined();
  });

  it('adds 401 with WWW-Authenticate everywhere, and 403 where roles apply', () => {
    const { out } = apply();
    const responses = (path: string, method: string) => out.paths[path][method].responses as Record<string, { headers?: Record<string, unknown> }>;
    expect(responses('/things/', 'get')['401'].headers).toHaveProperty('WWW-Authenticate');
    expect(responses('/things/', 'get')['403']).toBeUndefined();
    expect(responses('/things/', 'post')['403'].headers).toHaveProperty('WWW-Authenticate');
  });

  it('produces a valid OpenAPI document', async () => {
    await expect(SwaggerParser.validate(structuredClone(apply().out) as never)).resolves.toBeDefined();
  });
});
