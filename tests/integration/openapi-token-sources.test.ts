/**
 * Issue 14 item 22: a token class is documented by what it reads. A `@TokenAuth({ query })` class
 * is `http bearer` and, as an alternative, `apiKey` in `query`; a custom header, query parameter or
 * cookie keeps the name as the class spelled it. (Own file: routing-controllers-openapi documents
 * every controller it knows, so these would join openapi.test.ts's document.)
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { Get, getMetadataArgsStorage, JsonController } from 'routing-controllers';
import { routingControllersToSpec } from 'routing-controllers-openapi';
import { createAuthCheckers, LoginRequired, TokenAuth, VerifyToken } from '../../src';
import { recordingLogger } from '../helpers';

@TokenAuth({ query: 'access_token', bearerFormat: 'JWT' })
class QueryBearer {
  @VerifyToken() verify() {
    return null;
  }
}

@TokenAuth({ header: 'X-Tenant-Key', query: 'key', cookie: { name: 'sid', allowedOrigins: ['https://admin.example.com'] } })
class SpelledKeys {
  @VerifyToken() verify() {
    return null;
  }
}

@JsonController('/reports')
class ReportsController {
  @Get('/') @LoginRequired({ auth: QueryBearer }) list() {
    return [];
  }
  @Get('/keyed') @LoginRequired({ auth: SpelledKeys }) keyed() {
    return [];
  }
}

describe('token sources in OpenAPI', () => {
  const auth = () => createAuthCheckers([new QueryBearer(), new SpelledKeys()], { logger: recordingLogger() });

  it('a @TokenAuth({ query }) class offers http bearer and, as an alternative, apiKey in query; custom names keep their spelling', () => {
    expect(auth().openApiSecuritySchemes()).toEqual({
      QueryBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      QueryBearerQuery: { type: 'apiKey', in: 'query', name: 'access_token' },
      SpelledKeys: { type: 'apiKey', in: 'header', name: 'X-Tenant-Key' },
      SpelledKeysQuery: { type: 'apiKey', in: 'query', name: 'key' },
      SpelledKeysCookie: { type: 'apiKey', in: 'cookie', name: 'sid' },
    });
  });

  it('gives each source as an alternative security requirement, in a valid document', async () => {
    const spec = routingControllersToSpec(getMetadataArgsStorage(), { controllers: [ReportsController] }, { info: { title: 'Reports', version: '1' } });
    const out = auth().applyOpenApiSecurity(spec) as unknown as { paths: Record<string, Record<string, { security: unknown }>> };
    expect(out.paths['/reports/'].get.security).toEqual([{ QueryBearer: [] }, { QueryBearerQuery: [] }]);
    expect(out.paths['/reports/keyed'].get.security).toEqual([{ SpelledKeys: [] }, { SpelledKeysQuery: [] }, { SpelledKeysCookie: [] }]);
    await expect(SwaggerParser.validate(structuredClone(out) as never)).resolves.toBeDefined();
  });
});
