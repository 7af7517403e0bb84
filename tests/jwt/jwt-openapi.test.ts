import SwaggerParser from '@apidevtools/swagger-parser';
import { Get, getMetadataArgsStorage, JsonController, Post } from 'routing-controllers';
import { routingControllersToSpec } from 'routing-controllers-openapi';
import { createAuthCheckers, JwtAuth, LoginRequired } from '../../src';
import { recordingLogger } from '../helpers';
import { makeKeys, publicJwk } from '../schemes/jwt/tokens';

// Issue 16 §2: a @JwtAuth class in OpenAPI, each operation with its required scopes.
const keys = makeKeys();

@JwtAuth({ issuer: 'https://id.example.test/realms/main', audience: 'https://api.example.test', discovery: true, openApiName: 'oidc' })
class DiscoveredApi {}

@JwtAuth({ issuer: 'https://id.example.test', audience: 'https://api.example.test', keys: publicJwk(keys.ec.publicKey, 'k1', 'ES256') as never, query: 'access_token', openApiName: 'localJwt' })
class LocalApi {}

@JsonController('/docs-articles')
class DocumentedArticles {
  @Get('/') @LoginRequired({ auth: DiscoveredApi, scope: { GET: 'articles:read', '*': ['articles:read', 'articles:write'] } }) list() {
    return [];
  }
  @Post('/') @LoginRequired({ auth: DiscoveredApi, scope: { GET: 'articles:read', '*': ['articles:read', 'articles:write'] } }) create() {
    return {};
  }
  @Get('/local') @LoginRequired({ auth: LocalApi, scope: 'articles:read' }) local() {
    return [];
  }
}

type Operation = { security?: Record<string, string[]>[]; description?: string; 'x-required-scopes'?: string[]; responses?: Record<string, unknown> };

describe('OpenAPI for @JwtAuth classes', () => {
  const document = () => {
    const auth = createAuthCheckers([DiscoveredApi, LocalApi], { logger: recordingLogger() });
    const spec = routingControllersToSpec(getMetadataArgsStorage(), {}, { info: { title: 'jwt', version: '1' } });
    return { auth, out: auth.applyOpenApiSecurity(spec) as { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } } };
  };

  it('describes a discovered issuer as openIdConnect, local keys as http bearer JWT, and the query alternative as apiKey', () => {
    expect(document().auth.openApiSecuritySchemes()).toEqual({
      oidc: {
        type: 'openIdConnect',
        openIdConnectUrl: 'https://id.example.test/realms/main/.well-known/openid-configuration',
        description: 'JWT access tokens (RFC 9068) issued by https://id.example.test/realms/main for https://api.example.test',
      },
      localJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'JWT access tokens (RFC 9068) issued by https://id.example.test for https://api.example.test' },
      localJwtQuery: { type: 'apiKey', in: 'query', name: 'access_token' },
    });
  });

  it('puts each method’s scopes in the openIdConnect requirement, and in the description and x-required-scopes otherwise', () => {
    const { out } = document();
    const list = out.paths['/docs-articles/'].get;
    const create = out.paths['/docs-articles/'].post;
    const local = out.paths['/docs-articles/local'].get;
    expect(list.security).toEqual([{ oidc: ['articles:read'] }]);
    expect(create.security).toEqual([{ oidc: ['articles:read', 'articles:write'] }]);
    expect(local.security).toEqual([{ localJwt: [] }, { localJwtQuery: [] }]);
    expect(local['x-required-scopes']).toEqual(['articles:read']);
    expect(local.description).toContain('Required scopes: articles:read.');
    expect(Object.keys(create.responses ?? {})).toEqual(expect.arrayContaining(['401', '403']));
  });

  it('validates', async () => {
    await expect(SwaggerParser.validate(structuredClone(document().out) as never)).resolves.toBeDefined();
  });
});
