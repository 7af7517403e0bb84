// A real DPoP client for tests: oauth4webapi (ESM-only, hence a child process) makes an ES256 key
// pair, obtains a DPoP-bound access token from the authorization server (client credentials with
// a DPoP proof), then calls each API URL with its own proofs — answering a use_dpop_nonce 401 by
// retrying once with the nonce, as RFC 9449 §9 describes. Prints a JSON report on stdout.
// Usage: node dpop-client-process.mjs '{"issuer","clientId","clientSecret","scope","resource","calls":[{"method","url"}]}'
import * as oauth from 'oauth4webapi';

const { issuer, clientId, clientSecret, scope, resource, calls } = JSON.parse(process.argv[2]);
// The test servers speak plain HTTP on 127.0.0.1.
const insecure = { [oauth.allowInsecureRequests]: true };

const issuerUrl = new URL(issuer);
const as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, { ...insecure, algorithm: 'oidc' }));
const client = { client_id: clientId };
const keyPair = await oauth.generateKeyPair('ES256', { extractable: true });
const DPoP = oauth.DPoP(client, keyPair);
const parameters = new URLSearchParams();
if (scope) parameters.set('scope', scope);
if (resource) parameters.set('resource', resource);
const grant = () => oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(clientSecret), parameters, { ...insecure, DPoP });
let token;
try {
  token = await oauth.processClientCredentialsResponse(as, client, await grant());
} catch (error) {
  if (!oauth.isDPoPNonceError(error)) throw error;
  token = await oauth.processClientCredentialsResponse(as, client, await grant());
}

/** One protected-resource request; a refusal is reported, not thrown. */
async function call(method, url) {
  try {
    const response = await oauth.protectedResourceRequest(token.access_token, method, new URL(url), new Headers(), undefined, { ...insecure, DPoP });
    return { status: response.status, body: await response.json(), dpopNonce: response.headers.get('dpop-nonce') };
  } catch (error) {
    if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
    return {
      status: error.status,
      nonceError: oauth.isDPoPNonceError(error),
      challenges: error.cause.map(({ scheme, parameters }) => ({ scheme, parameters: { ...parameters } })),
      dpopNonce: error.response.headers.get('dpop-nonce'),
    };
  }
}

const results = [];
for (const { method, url } of calls) {
  const first = await call(method, url);
  // RFC 9449 §9: retry once with the nonce the server sent (the DPoP handle keeps it).
  results.push(first.nonceError ? [first, await call(method, url)] : [first]);
}
process.stdout.write(JSON.stringify({
  tokenType: token.token_type,
  accessToken: token.access_token,
  publicJwk: await crypto.subtle.exportKey('jwk', keyPair.publicKey),
  results,
}));
