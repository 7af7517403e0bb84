import { getMetadataArgsStorage } from 'routing-controllers';
import { routingControllersToSpec } from 'routing-controllers-openapi';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
// In your app: import type { AuthCheckers } from 'routing-controllers-httpauth';
import type { AuthCheckers } from '../src';

/**
 * The API's OpenAPI document: routing-controllers-openapi describes the routes and DTOs, and
 * `auth.applyOpenApiSecurity` adds what the auth knows (schemes, which operation needs which, the
 * roles, 401/403). Swagger UI at /docs then offers "Authorize" for Basic and the API key.
 */
export function openApiDocument(auth: AuthCheckers<unknown>, controllers: readonly Function[]) {
  const spec = routingControllersToSpec(
    getMetadataArgsStorage(),
    { controllers: [...controllers] },
    {
      info: { title: 'Example API', version: '1.0.0', description: 'routing-controllers-httpauth example: HTTP Basic users with roles, and an API key.' },
      components: { schemas: validationMetadatasToSchemas({ refPointerPrefix: '#/components/schemas/' }) as never },
    },
  );
  return auth.applyOpenApiSecurity(spec);
}
