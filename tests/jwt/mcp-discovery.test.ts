/**
 * Issue 16 §4, the MCP-style client check: @modelcontextprotocol/sdk's client-side OAuth discovery
 * (tests/jwt/mcp-client-process.mjs, in a child process: the SDK is used as MCP clients use it,
 * as ES modules in plain Node) pointed at a routing-controllers app protected by
 * `@JwtAuth({ discovery: true, resource })` finds the RFC 9728 metadata from the 401's
 * `resource_metadata`, accepts its `resource`, and reaches the authorization server's metadata
 * (oidc-provider). A token obtained for that resource is then accepted, on both drivers.
 */
import { execFile } from 'node:child_process';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { Body, CurrentUser, JsonController, Post } from 'routing-controllers';
import { createAuthCheckers, JwtAuth, LoginRequired, type JwtClaims } from '../../src';
import { DRIVERS, recordingLogger } from '../helpers';
import { signingKey, startProvider, type TestProvider } from '../oauth/provider';

jest.setTimeout(90_000);

let op: TestProvider;
beforeAll(async () => {
  op = await startProvider({ keys: [signingKey('ES256', 'mcp-key')], scopes: ['mcp:tools', 'mcp:admin'] });
});
afterAll(() => op?.stop());

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server on a free port whose handler is set once the app (which must know its URL) exists. */
async function listen(): Promise<{ base: string; serve(listener: RequestListener): void }> {
  let handler: RequestListener = (_req, res) => res.end();
  const server = createServer((req, res) => handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, serve: (listener) => (handler = listener) };
}

interface Discovered {
  status: number;
  wwwAuthenticate: string;
  resourceMetadataUrl?: string;
  resourceMetadata: Record<string, unknown>;
  resource?: string;
  authorizationServer: Record<string, unknown>;
  probed: { authorizationServerUrl: string; resourceMetadata?: Record<string, unknown>; issuer?: string };
}

async function mcpDiscovery(serverUrl: string): Promise<Discovered> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, 'mcp-client-process.mjs'), JSON.stringify({ serverUrl })], { timeout: 20_000 });
  return JSON.parse(stdout) as Discovered;
}

describe.each(DRIVERS)('an MCP client discovers the authorization server from the app (%s)', (_driver, makeApp) => {
  it('follows resource_metadata from the 401 to the RFC 9728 metadata and on to the provider\'s metadata; its token is then accepted', async () => {
    const { base, serve } = await listen();
    const resource = `${base}/mcp`;

    @JwtAuth({ issuer: op.issuer, audience: resource, discovery: true, resource, resourceName: 'Test MCP server' })
    class McpAuth {}

    @JsonController()
    class McpController {
      @Post('/mcp') @LoginRequired({ auth: McpAuth, scope: 'mcp:tools' }) rpc(@Body() body: { id: number }, @CurrentUser() user: JwtClaims) {
        return { jsonrpc: '2.0', id: body.id, result: { client: user.client_id } };
      }
    }

    const app = makeApp([McpController], createAuthCheckers([McpAuth], { logger: recordingLogger() }));
    serve(app as RequestListener);

    const found = await mcpDiscovery(resource);
    const metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`;
    expect(found.status).toBe(401);
    expect(found.wwwAuthenticate).toBe(`Bearer realm="Authentication Required", resource_metadata="${metadataUrl}"`);
    expect(found.resourceMetadataUrl).toBe(metadataUrl);
    const metadata = { resource, authorization_servers: [op.issuer], scopes_supported: ['mcp:tools'], bearer_methods_supported: ['header'], resource_name: 'Test MCP server' };
    expect(found.resourceMetadata).toEqual(metadata);
    // The SDK's auth() would ask the authorization server for a token for this resource.
    expect(found.resource).toBe(resource);
    expect(found.authorizationServer).toMatchObject({ issuer: op.issuer, jwks_uri: op.jwksUri, token_endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/token$/) });
    // Without the header's hint, the SDK probes the path-inserted well-known URL and finds the same.
    expect(found.probed).toEqual({ authorizationServerUrl: op.issuer, resourceMetadata: metadata, issuer: op.issuer });

    // The client then gets a token for that resource (a real client, oauth4webapi) and is admitted.
    const token = await op.clientCredentialsToken({ scope: 'mcp:tools', resource });
    const res = await request(app).post('/mcp').set('Authorization', `Bearer ${token}`).send({ jsonrpc: '2.0', id: 7, method: 'tools/list' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 7, result: { client: op.clientId } });
  });
});
