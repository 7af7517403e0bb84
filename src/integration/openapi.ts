import { getMetadataArgsStorage } from 'routing-controllers';
import type { BasicConfig } from '../authenticators/basic';
import type { DigestConfig } from '../authenticators/digest';
import type { TokenConfig } from '../authenticators/token';
import type { JwtConfig } from '../authenticators/jwt-options';
import type { ClientCertConfig } from '../authenticators/client-cert';
import type { IntrospectionConfig } from '../authenticators/introspection-options';
import type { DpopConfig } from '../authenticators/jwt-dpop-options';
import { scopesForMethod } from '../scopes';
import { groupsForMethod, type RoleGroups } from '../roles';
import { rolesOf } from './actions';
import type { Member, Plan } from './plans';

/**
 * OpenAPI output of the auth metadata: a reader of the registry and of the requirements, nothing
 * more. routing-controllers-openapi names each operation `Controller.method`, which is how an
 * operation is matched with its action's `@LoginRequired`.
 */

/**
 * An OpenAPI 3 security scheme object, as far as this library writes one: `http` for Basic, Digest
 * and Authorization-header tokens, `apiKey` for a custom header, a query parameter or a cookie.
 *
 * @example
 * ```ts
 * const basic: OpenApiSecurityScheme = { type: 'http', scheme: 'basic' };
 * const key: OpenApiSecurityScheme = { type: 'apiKey', in: 'header', name: 'X-API-Key' };
 * ```
 */
export type OpenApiSecurityScheme = OpenApiHttpScheme | OpenApiKeyScheme | OpenApiOpenIdConnectScheme | OpenApiMutualTlsScheme;

/**
 * A `mutualTLS` security scheme (OpenAPI 3.1): a `@ClientCertAuth` class. OpenAPI 3.0 has no such
 * type, so `applyOpenApiSecurity` refuses a 3.0 document when an app has one.
 *
 * @example
 * ```ts
 * const mtls: OpenApiMutualTlsScheme = { type: 'mutualTLS', description: 'TLS client certificate' };
 * ```
 */
export interface OpenApiMutualTlsScheme {
  /** Always `'mutualTLS'`. */
  type: 'mutualTLS';
  /** Where the certificate is read. */
  description?: string;
}

/**
 * An `openIdConnect` security scheme: a `@JwtAuth` class with `discovery`, whose issuer publishes
 * OpenID Connect discovery; Swagger UI then offers its flows, and operations list their scopes.
 *
 * @example
 * ```ts
 * const oidc: OpenApiOpenIdConnectScheme = { type: 'openIdConnect', openIdConnectUrl: 'https://id.example.com/.well-known/openid-configuration' };
 * ```
 */
export interface OpenApiOpenIdConnectScheme {
  /** Always `'openIdConnect'`. */
  type: 'openIdConnect';
  /** The issuer's discovery document. */
  openIdConnectUrl: string;
  /** What the library knows of the scheme: issuers and audiences. */
  description?: string;
}

/**
 * An `http` security scheme (RFC 9110 authentication).
 *
 * @example
 * ```ts
 * const jwt: OpenApiHttpScheme = { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' };
 * ```
 */
export interface OpenApiHttpScheme {
  /** Always `'http'`. */
  type: 'http';
  /** The scheme word, lower-case: `'basic'`, `'digest'`, `'bearer'` or a custom token scheme. */
  scheme: string;
  /** How a bearer token is formatted (the `bearerFormat` option of `@TokenAuth`). */
  bearerFormat?: string;
  /** What the library knows of the scheme: RFC, realm, algorithms. */
  description?: string;
}

/**
 * An `apiKey` security scheme: a token in a custom header, a query parameter or a cookie.
 *
 * @example
 * ```ts
 * const session: OpenApiKeyScheme = { type: 'apiKey', in: 'cookie', name: 'session' };
 * ```
 */
export interface OpenApiKeyScheme {
  /** Always `'apiKey'`. */
  type: 'apiKey';
  /** Where the key travels. */
  in: 'header' | 'query' | 'cookie';
  /** The header, parameter or cookie name, spelled as the auth class configured it. */
  name: string;
  /** Free text for the documentation. */
  description?: string;
}

/**
 * An OpenAPI 3 document, as far as `applyOpenApiSecurity` needs to know: `paths` and `components`.
 * Loose on purpose, so the document types of routing-controllers-openapi (openapi3-ts) fit.
 *
 * @example
 * ```ts
 * const spec: OpenApiDocument = routingControllersToSpec(getMetadataArgsStorage());
 * const documented = auth.applyOpenApiSecurity(spec);
 * ```
 */
export interface OpenApiDocument {
  /** The operations by path and method; each is matched with its action by `operationId`. */
  paths?: object;
  /** Where `securitySchemes` are added. */
  components?: object;
}

interface Document {
  paths?: { [path: string]: { [method: string]: unknown } | undefined };
  components?: { securitySchemes?: { [name: string]: unknown }; [key: string]: unknown };
}

interface Operation {
  operationId?: string;
  description?: string;
  security?: { [name: string]: string[] }[];
  responses?: { [status: string]: unknown };
  [key: string]: unknown;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The security schemes one auth class offers, by name: one per place a credential may come from. */
export function securitySchemesOf(member: Member): [string, OpenApiSecurityScheme][] {
  const { meta } = member;
  const base = (meta.config as { openApiName?: string }).openApiName ?? meta.name;
  if (meta.kind === 'basic') {
    const { scheme, realm } = meta.config as BasicConfig;
    return [[base, { type: 'http', scheme: scheme.toLowerCase(), description: `HTTP Basic (RFC 7617), realm "${realm}"` }]];
  }
  if (meta.kind === 'digest') {
    const { scheme, realm, algorithms } = meta.config as DigestConfig;
    return [[base, { type: 'http', scheme: scheme.toLowerCase(), description: `HTTP Digest (RFC 7616), realm "${realm}", ${algorithms.join(' or ')}` }]];
  }
  if (meta.kind === 'jwt') return jwtSchemes(base, meta.config as JwtConfig);
  if (meta.kind === 'clientCert') {
    const { from } = meta.config as ClientCertConfig;
    const where = from ? `, or forwarded in ${from.header} by a trusted TLS-terminating proxy` : '';
    return [[base, { type: 'mutualTLS', description: `TLS client certificate verified by the server's CA${where}` }]];
  }
  if (meta.kind === 'introspection') {
    const { endpoint, dpop } = meta.config as IntrospectionConfig;
    const description = `Opaque OAuth 2.0 access tokens, checked by introspection (RFC 7662) at ${endpoint}`;
    return withDpop(base, { type: 'http', scheme: 'bearer', description }, description, dpop, []);
  }
  const config = meta.config as TokenConfig;
  const schemes: [string, OpenApiSecurityScheme][] = [];
  if (config.headerName) schemes.push([base, { type: 'apiKey', in: 'header', name: config.headerName }]);
  else {
    const http: OpenApiSecurityScheme = { type: 'http', scheme: config.scheme.toLowerCase() };
    if (config.bearerFormat) http.bearerFormat = config.bearerFormat;
    schemes.push([base, http]);
  }
  return [...schemes, ...sourceSchemes(base, config)];
}

/** The query-parameter and cookie alternatives of a token class, as `apiKey` schemes. */
function sourceSchemes(base: string, config: Pick<TokenConfig, 'query' | 'cookie'>): [string, OpenApiSecurityScheme][] {
  const schemes: [string, OpenApiSecurityScheme][] = [];
  if (config.query) schemes.push([`${base}Query`, { type: 'apiKey', in: 'query', name: config.query }]);
  if (config.cookie) schemes.push([`${base}Cookie`, { type: 'apiKey', in: 'cookie', name: config.cookie.name }]);
  return schemes;
}

/** A `@JwtAuth` class: `openIdConnect` when its issuer is discovered, else `http bearer` with `bearerFormat`. */
function jwtSchemes(base: string, config: JwtConfig): [string, OpenApiSecurityScheme][] {
  const description = `JWT access tokens (RFC 9068) issued by ${config.issuers.join(' or ')} for ${config.audiences.join(' or ')}`;
  const main: OpenApiSecurityScheme =
    config.keys.kind === 'discovery'
      ? { type: 'openIdConnect', openIdConnectUrl: `${config.issuers[0].replace(/\/$/, '')}/.well-known/openid-configuration`, description }
      : { type: 'http', scheme: 'bearer', bearerFormat: config.bearerFormat, description };
  return withDpop(base, main, description, config.dpop, sourceSchemes(base, config));
}

/**
 * DPoP (RFC 9449): `Authorization: DPoP <token>` with a proof, as a second scheme beside the main
 * one and its other sources, or (`dpop: 'required'`) alone.
 */
function withDpop(
  base: string,
  main: OpenApiSecurityScheme,
  description: string,
  dpop: DpopConfig | undefined,
  others: [string, OpenApiSecurityScheme][],
): [string, OpenApiSecurityScheme][] {
  if (!dpop) return [[base, main], ...others];
  const scheme: OpenApiSecurityScheme = {
    type: 'http',
    scheme: 'dpop',
    description: `${description}, DPoP-bound (RFC 9449): Authorization: DPoP <token> and a DPoP proof header signed with ${dpop.algorithms.join(', ')}`,
  };
  if (dpop.mode === 'required') return [[base, scheme]];
  return [[base, main], [`${base}DPoP`, scheme], ...others];
}

/** `components.securitySchemes` for every auth class of an app. */
export function securitySchemesFor(members: readonly Member[]): { [name: string]: OpenApiSecurityScheme } {
  const schemes: { [name: string]: OpenApiSecurityScheme } = {};
  for (const member of members) {
    for (const [name, scheme] of securitySchemesOf(member)) {
      if (name in schemes) throw new TypeError(`http-auth: two auth classes are named ${name} in OpenAPI; give one an openApiName option`);
      schemes[name] = scheme;
    }
  }
  return schemes;
}

/** `Controller.method` → the action, for every action routing-controllers knows. */
function actionsByOperationId(): Map<string, { target: Function; method: string }> {
  const byId = new Map<string, { target: Function; method: string }>();
  for (const { target, method } of getMetadataArgsStorage().actions) byId.set(`${target.name}.${method}`, { target, method });
  return byId;
}

function describeGroups(groups: RoleGroups): string {
  if (groups.length === 0) return 'nobody (no role admits this operation)';
  return groups.map((group) => (group.length === 1 ? group[0] : `all of (${group.join(', ')})`)).join(' or ');
}

const challengeHeader = (what: string) => ({
  description: what,
  schema: { type: 'string' },
});

/**
 * A copy of `spec` in which every operation of a protected action carries its `security`
 * alternatives (one per scheme of each auth class, plus `{}` when optional), its required roles
 * (`x-required-roles`, and a line in the description) and 401/403 responses (407 for proxy classes); the auth classes'
 * schemes are added to `components.securitySchemes`. The input is not changed.
 */
export function applySecurity(spec: OpenApiDocument, members: readonly Member[], planOf: (roles: readonly unknown[], where: string) => Plan): OpenApiDocument {
  const out = structuredClone(spec) as Document;
  const version = (spec as { openapi?: unknown }).openapi;
  const mtls = members.find((member) => member.meta.kind === 'clientCert');
  if (mtls && typeof version === 'string' && version.startsWith('3.0')) {
    throw new TypeError(
      `http-auth: applyOpenApiSecurity: ${mtls.meta.name} is a mutualTLS security scheme, which OpenAPI ${version} does not have; generate an OpenAPI 3.1 document (openapi: '3.1.0')`,
    );
  }
  out.components = { ...(out.components ?? {}), securitySchemes: { ...(out.components?.securitySchemes ?? {}), ...securitySchemesFor(members) } };
  const actions = actionsByOperationId();
  for (const pathItem of Object.values(out.paths ?? {})) {
    if (!pathItem) continue;
    for (const [httpMethod, value] of Object.entries(pathItem)) {
      if (!HTTP_METHODS.has(httpMethod) || typeof value !== 'object' || value === null) continue;
      const operation = value as Operation;
      const action = operation.operationId === undefined ? undefined : actions.get(operation.operationId);
      if (!action) continue;
      const roles = rolesOf(action.target, action.method);
      if (roles.length === 0) continue;
      const plan = planOf(roles, operation.operationId!);
      const scopes = plan.requirement.scope ? scopesForMethod(plan.requirement.scope, httpMethod.toUpperCase()) : undefined;
      // OpenAPI 3.0 allows scopes in a requirement of oauth2 and openIdConnect schemes only.
      const security = plan.members.flatMap((member) =>
        securitySchemesOf(member).map(([name, scheme]) => ({ [name]: scheme.type === 'openIdConnect' && scopes ? [...scopes] : ([] as string[]) })),
      );
      if (plan.requirement.optional) security.push({});
      operation.security = security;
      const responses = (operation.responses ??= {});
      // A route's members are all proxies or all not (plans.ts): one of 401 or 407, never both.
      const proxy = plan.members.some((m) => (m.meta.config as { proxy?: boolean } | undefined)?.proxy === true);
      const challenge = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
      responses[proxy ? '407' : '401'] ??= {
        description: plan.requirement.optional ? 'Credentials were sent but are wrong' : 'Credentials are missing or wrong',
        headers: { [challenge]: challengeHeader('One challenge per accepted scheme (RFC 9110 §11.6.1)') },
      };
      if (plan.requirement.scope) {
        operation['x-required-scopes'] = scopes ? [...scopes] : [];
        const line = `Required scopes: ${scopes ? scopes.join(', ') : 'none admits this method'}.`;
        operation.description = operation.description ? `${operation.description}\n\n${line}` : line;
        responses['403'] ??= {
          description: 'Authenticated, but the token lacks a required scope (error="insufficient_scope") or the user a role',
          headers: { [challenge]: challengeHeader('The challenge of the scheme used') },
        };
      }
      const groups = plan.requirement.role && groupsForMethod(plan.requirement.role, httpMethod.toUpperCase());
      if (plan.requirement.role) {
        operation['x-required-roles'] = groups ? groups.map((group) => [...group]) : [];
        const line = `Required roles: ${groups ? describeGroups(groups) : 'nobody (this method has no role entry)'}.`;
        operation.description = operation.description ? `${operation.description}\n\n${line}` : line;
        responses['403'] ??= {
          description: 'Authenticated, but without a required role',
          headers: { [challenge]: challengeHeader('The challenge of the scheme used') },
        };
      }
    }
  }
  return out as OpenApiDocument;
}
