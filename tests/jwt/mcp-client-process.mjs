// An MCP client's OAuth discovery, as @modelcontextprotocol/sdk does it (its ESM build, in plain
// Node, as MCP clients load it): call the MCP endpoint without a token, read `resource_metadata`
// from the 401's WWW-Authenticate (extractWWWAuthenticateParams), load the RFC 9728 metadata
// (discoverOAuthProtectedResourceMetadata), check its `resource` against the server URL
// (selectResourceURL, as the SDK's auth() does before asking for a token), and load the
// authorization server's metadata (discoverAuthorizationServerMetadata); then discoverOAuthServerInfo,
// the SDK's one-call form, without the header's hint (it probes the well-known URLs itself).
// Prints what it found as JSON on stdout.
// Usage: node mcp-client-process.mjs '{"serverUrl"}'
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
  selectResourceURL,
} from '@modelcontextprotocol/sdk/client/auth.js';

const { serverUrl } = JSON.parse(process.argv[2]);

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } } };
const response = await fetch(serverUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify(initialize),
});
await response.body?.cancel();
const challenge = extractWWWAuthenticateParams(response);
const resourceMetadata = await discoverOAuthProtectedResourceMetadata(serverUrl, { resourceMetadataUrl: challenge.resourceMetadataUrl });
const resource = await selectResourceURL(serverUrl, {}, resourceMetadata);
const authorizationServer = await discoverAuthorizationServerMetadata(resourceMetadata.authorization_servers[0]);
const probed = await discoverOAuthServerInfo(serverUrl);

process.stdout.write(JSON.stringify({
  status: response.status,
  wwwAuthenticate: response.headers.get('www-authenticate'),
  resourceMetadataUrl: challenge.resourceMetadataUrl?.href,
  resourceMetadata,
  resource: resource?.href,
  authorizationServer,
  probed: { authorizationServerUrl: probed.authorizationServerUrl, resourceMetadata: probed.resourceMetadata, issuer: probed.authorizationServerMetadata?.issuer },
}));
