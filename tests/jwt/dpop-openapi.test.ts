import SwaggerParser from '@apidevtools/swagger-parser';
import { Get, getMetadataArgsStorage, JsonController } from 'routing-controllers';
import { routingControllersToSpec } from 'routing-controllers-openapi';
import { createAuthCheckers, JwtAuth, LoginRequired } from '../../src';
import { recordingLogger } from '../helpers';
import { makeKeys, publicJwk } from '../schemes/jwt/tokens';

// DPoP classes in OpenAPI: an http `dpop` scheme beside Bearer ('allowed'), or alone ('required').
const keys = makeKeys();
const common = { issuer: 'https://id.example.test', audience: 'https://api.example.test', keys: publicJwk(keys.ec.publicKey, 'k1', 'ES256') as never };

@JwtAuth({ ...common, resource: 'https://api.example.test/a', dpop: 'allowed', dpopAlgorithms: ['ES256'], openApiName: 'mixed' })
class MixedApi {}

@JwtAuth({ ...common, resource: 'https://api.example.test/b', dpop: 'required', openApiName: 'bound' })
class BoundApi {}

@JsonController('/dpop-docs')
class DpopDocs {
  @Get('/mixed') @LoginRequired({ auth: MixedApi, scope: 'articles:read' }) mixed() {
    return [];
  }
  @Get('/bound') @LoginRequired({ auth: BoundApi }) bound() {
    return [];
  }
}

type Operation = { security?: Record<string, string[]>[] };

describe('OpenAPI for @JwtAuth classes with DPoP', () => {
  const document = () => {
    const auth = createAuthCheckers([MixedApi, BoundApi], { logger: recordingLogger(), controllers: [DpopDocs] });
    const spec = routingControllersToSpec(getMetadataArgsStorage(), {}, { info: { title: 'dpop', version: '1' } });
    return { auth, out: auth.applyOpenApiSecurity(spec) as { paths: Record<string, Record<string, Operation>> } };
  };
  const description = 'JWT access tokens (RFC 9068) issued by https://id.example.test for https://api.example.test';

  it('adds an http dpop scheme beside Bearer, or alone with dpop: required', () => {
    expect(document().auth.openApiSecuritySchemes()).toEqual({
      mixed: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description },
      mixedDPoP: { type: 'http', scheme: 'dpop', description: `${description}, DPoP-bound (RFC 9449): Authorization: DPoP <token> and a DPoP proof header signed with ES256` },
      bound: { type: 'http', scheme: 'dpop', description: `${description}, DPoP-bound (RFC 9449): Authorization: DPoP <token> and a DPoP proof header signed with ES256, EdDSA, PS256, RS256` },
    });
    const { out } = document();
    expect(out.paths['/dpop-docs/mixed'].get.security).toEqual([{ mixed: [] }, { mixedDPoP: [] }]);
    expect(out.paths['/dpop-docs/bound'].get.security).toEqual([{ bound: [] }]);
  });

  it('validates', async () => {
    await expect(SwaggerParser.validate(structuredClone(document().out) as never)).resolves.toBeDefined();
  });
});
