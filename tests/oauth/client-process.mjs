// A real OAuth client for tests: oauth4webapi (ESM-only, hence a child process) discovers the
// authorization server, runs the client credentials grant with a resource indicator (RFC 8707),
// validates the token response, and prints it as JSON on stdout.
// Usage: node client-process.mjs '{"issuer","clientId","clientSecret","scope","resource"}'
// With "revoke": a token, it revokes that token instead (RFC 7009) and prints {"revoked":true}.
import * as oauth from 'oauth4webapi';

const { issuer, clientId, clientSecret, scope, resource, revoke } = JSON.parse(process.argv[2]);
// The test server speaks plain HTTP on 127.0.0.1.
const insecure = { [oauth.allowInsecureRequests]: true };

const issuerUrl = new URL(issuer);
const as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, { ...insecure, algorithm: 'oidc' }));
const client = { client_id: clientId };
if (revoke) {
  const revoked = await oauth.revocationRequest(as, client, oauth.ClientSecretBasic(clientSecret), revoke, insecure);
  await oauth.processRevocationResponse(revoked);
  process.stdout.write(JSON.stringify({ revoked: true }));
  process.exit(0);
}
const parameters = new URLSearchParams();
if (scope) parameters.set('scope', scope);
if (resource) parameters.set('resource', resource);
const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(clientSecret), parameters, insecure);
const result = await oauth.processClientCredentialsResponse(as, client, response);
process.stdout.write(JSON.stringify(result));
