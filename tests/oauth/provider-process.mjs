// A real authorization server for tests: oidc-provider (ESM-only, hence a child process), issuing
// JWT access tokens (RFC 9068, typ at+jwt) with the client credentials grant and resource
// indicators (RFC 8707). Configured by the OP_CONFIG environment variable (JSON); reports
// { type: 'ready', issuer } over IPC, and restarts with new keys when sent
// { type: 'restart', keys, signingKid }, keeping its port, so the issuer stays the same.
// With accessTokenFormat 'opaque' its access tokens are opaque (checked by introspection, RFC 7662);
// config.resourceServers adds clients that only introspect (client_secret_basic/post or
// private_key_jwt with their public jwks); revocation (RFC 7009) is on for the token's own client.
import { once } from 'node:events';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OP_CONFIG);

function provider(keys, signingKid) {
  const alg = keys.find((key) => key.kid === signingKid)?.alg ?? keys[0].alg;
  return new Provider(issuer, {
    clients: [
      ...config.clients.map((client) => ({
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: alg,
      ...client,
      })),
      // Resource servers: no grant of their own, they only call the introspection endpoint.
      ...(config.resourceServers ?? []).map((client) => ({ grant_types: [], redirect_uris: [], response_types: [], id_token_signed_response_alg: alg, ...client })),
    ],
    jwks: { keys },
    // oidc-provider warns (and refuses some defaults) outside production; these keep it quiet and fast.
    cookies: { keys: ['test-cookie-key-not-secret'] },
    ttl: { ClientCredentials: config.accessTokenTTL },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      // DPoP (RFC 9449): a token request with a DPoP proof gets a token bound to its key (cnf.jkt).
      ...(config.dpop ? { dPoP: { enabled: true } } : {}),
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator) => ({
          scope: config.scopes.join(' '),
          audience: resourceIndicator,
          accessTokenTTL: config.accessTokenTTL,
          ...(config.accessTokenFormat === 'opaque'
            ? { accessTokenFormat: 'opaque' }
            : { accessTokenFormat: 'jwt', jwt: { sign: { alg, ...(signingKid ? { kid: signingKid } : {}) } } }),
        }),
      },
    },
  });
}

// One HTTP server for the life of the process; a restart swaps the provider behind it, so the
// port (and with it the issuer) never changes and no other process can take it in between.
const server = createServer((request, response) => handle(request, response));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;
let handle;

function start(keys, signingKid) {
  handle = provider(keys, signingKid).callback();
  process.send({ type: 'ready', issuer });
}

process.on('message', async (message) => {
  if (message.type === 'restart') {
    start(message.keys, message.signingKid);
  } else if (message.type === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));

start(config.keys, config.signingKid);
