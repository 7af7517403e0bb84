/**
 * Issue 17 §2: what is checked at start-up (`@ClientCertAuth` options, `mtlsBound`), the OpenAPI
 * `mutualTLS` scheme, and RFC 9728's `tls_client_certificate_bound_access_tokens`.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { X509Certificate } from 'node:crypto';
import request from 'supertest';
import { Get, getMetadataArgsStorage, JsonController } from 'routing-controllers';
import { routingControllersToSpec } from 'routing-controllers-openapi';
import { BasicAuth, ClientCertAuth, createAuthCheckers, JwtAuth, LoginRequired, VerifyCertificate, VerifyPassword, type ClientCertAuthOptions } from '../../src';
import { DRIVERS, recordingLogger } from '../helpers';

const jwt = { issuer: 'https://id.example.test', audience: 'https://api.example.test', secret: 'x'.repeat(32) };

describe('@ClientCertAuth options', () => {
  const decorate = (options: unknown) => () => {
    @ClientCertAuth(options as ClientCertAuthOptions)
    class Decorated {
      @VerifyCertificate() verify(cert: X509Certificate) {
        return cert;
      }
    }
    return Decorated;
  };

  it.each([
    [{ realm: 'x' }, 'http-auth: @ClientCertAuth on Decorated: unknown option "realm" (allowed: from, openApiName, hookTimeout)'],
    [{ from: { header: 'x-ssl-client-cert' } }, 'from.trustedProxies must list the addresses of the proxies that set the header'],
    [{ from: { header: 'x-ssl-client-cert', trustedProxies: [] } }, 'from.trustedProxies must list'],
    [{ from: { header: 'x-ssl-client-cert', trustedProxies: ['proxy.internal'] } }, 'from.trustedProxies: "proxy.internal" is not an IP address or a CIDR range'],
    [{ from: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.0/33'] } }, 'from.trustedProxies: "10.0.0.0/33" is not an IP address'],
    [{ from: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.0/8/1'] } }, 'is not an IP address'],
    [{ from: { header: 'authorization', trustedProxies: ['10.0.0.5'] } }, 'from.header cannot be authorization'],
    [{ from: { header: 'x ssl', trustedProxies: ['10.0.0.5'] } }, 'from.header must be a header name'],
    [{ from: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'], format: 'der' } }, "from.format must be 'escaped-pem' or 'xfcc'"],
    [{ from: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'], trustAll: true } }, 'unknown option "trustAll"'],
  ])('%j is refused at decoration', (options, message) => {
    expect(decorate(options)).toThrow(TypeError);
    expect(decorate(options)).toThrow(message);
  });

  it.each([
    [{ from: { header: 'X-SSL-Client-Cert', trustedProxies: ['10.0.0.5', '::1', 'fd00::/8', '192.168.0.0/16'] } }],
    [{ from: { header: 'x-forwarded-client-cert', trustedProxies: ['127.0.0.1'], format: 'xfcc' } }],
    [{ openApiName: 'devices', hookTimeout: 500 }],
  ])('%j is accepted', (options) => {
    expect(decorate(options)).not.toThrow();
  });

  it('the caller’s options object is left as it was', () => {
    const options = Object.freeze({ from: Object.freeze({ header: 'X-SSL-Client-Cert', trustedProxies: Object.freeze(['10.0.0.5']) }) });
    expect(decorate(options)).not.toThrow();
  });

  it('a class without @VerifyCertificate is refused by createAuthCheckers, naming the fix', () => {
    @ClientCertAuth()
    class NoHook {}
    expect(() => createAuthCheckers(NoHook, { logger: recordingLogger() })).toThrow(
      'http-auth: NoHook uses @ClientCertAuth but has no @VerifyCertificate method; add one returning the user of a certificate (or null)',
    );
  });

  it('@VerifyCertificate on another scheme is refused', () => {
    @BasicAuth()
    class Mixed {
      @VerifyPassword() password() {
        return null;
      }
      @VerifyCertificate() cert() {
        return null;
      }
    }
    expect(() => createAuthCheckers(Mixed, { logger: recordingLogger() })).toThrow('Mixed uses @BasicAuth, which does not use @VerifyCertificate (cert)');
  });

  it("mtlsBound is 'allowed' or 'required'", () => {
    expect(() => JwtAuth({ ...jwt, mtlsBound: true as never })(class Bad {})).toThrow(
      "http-auth: @JwtAuth on Bad: mtlsBound must be 'allowed' (bound and unbound tokens) or 'required' (certificate-bound tokens only)",
    );
    expect(() => JwtAuth({ ...jwt, mtlsBound: 'required' })(class Good {})).not.toThrow();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['mtlsFrom without mtlsBound', { mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'] } }, "mtlsFrom says where the certificate of a certificate-bound token comes from; add mtlsBound: 'allowed' (or 'required')"],
    ['no trusted proxy', { mtlsBound: 'allowed', mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: [] } }, 'mtlsFrom.trustedProxies must list the addresses of the proxies that set the header'],
    ['a proxy that is no address', { mtlsBound: 'allowed', mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: ['proxy.internal'] } }, 'mtlsFrom.trustedProxies: "proxy.internal" is not an IP address or a CIDR range'],
    ['the Authorization header', { mtlsBound: 'allowed', mtlsFrom: { header: 'Authorization', trustedProxies: ['10.0.0.5'] } }, 'mtlsFrom.header cannot be Authorization'],
    ['an unknown format', { mtlsBound: 'allowed', mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'], format: 'der' } }, "mtlsFrom.format must be 'escaped-pem' or 'xfcc'"],
  ])('mtlsFrom: %s is a start-up error naming the fix', (_name, options, message) => {
    expect(() => JwtAuth({ ...jwt, ...options } as never)(class Bad {})).toThrow(`http-auth: @JwtAuth on Bad: ${message}`);
  });
});

@ClientCertAuth({ openApiName: 'devices' })
class Devices {
  @VerifyCertificate() verify() {
    return null;
  }
}

@ClientCertAuth({ from: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'] } })
class ProxiedDevices {
  @VerifyCertificate() verify() {
    return null;
  }
}

@JwtAuth({ ...jwt, mtlsBound: 'required', resource: 'https://api.example.test/bound', openApiName: 'bound' })
class BoundApi {}

@JwtAuth({ ...jwt, resource: 'https://api.example.test/plain', openApiName: 'plain' })
class PlainApi {}

@JsonController('/documented')
class Documented {
  @Get('/devices') @LoginRequired({ auth: [Devices, ProxiedDevices, BoundApi] }) devices() {
    return [];
  }
  @Get('/plain') @LoginRequired({ auth: PlainApi }) plain() {
    return [];
  }
}

describe('OpenAPI: a mutualTLS security scheme (OpenAPI 3.1)', () => {
  const document = (openapi: string) => {
    const auth = createAuthCheckers([Devices, ProxiedDevices, BoundApi, PlainApi], { logger: recordingLogger() });
    const spec = { ...routingControllersToSpec(getMetadataArgsStorage(), {}, { info: { title: 'mtls', version: '1' } }), openapi };
    return { auth, apply: () => auth.applyOpenApiSecurity(spec) as { paths: Record<string, Record<string, { security?: unknown }>>; components: { securitySchemes: Record<string, unknown> } } };
  };

  it('describes each @ClientCertAuth class as mutualTLS, and lists it among the operation’s alternatives', async () => {
    const { apply } = document('3.1.0');
    const out = apply();
    expect(out.components.securitySchemes.devices).toEqual({ type: 'mutualTLS', description: "TLS client certificate verified by the server's CA" });
    expect(out.components.securitySchemes.ProxiedDevices).toEqual({
      type: 'mutualTLS',
      description: "TLS client certificate verified by the server's CA, or forwarded in x-ssl-client-cert by a trusted TLS-terminating proxy",
    });
    expect(out.paths['/documented/devices'].get.security).toEqual([{ devices: [] }, { ProxiedDevices: [] }, { bound: [] }]);
    await expect(SwaggerParser.validate(structuredClone(out) as never)).resolves.toBeDefined();
  });

  it('refuses an OpenAPI 3.0 document, which has no mutualTLS type, naming the fix', () => {
    expect(() => document('3.0.0').apply()).toThrow(
      "http-auth: applyOpenApiSecurity: Devices is a mutualTLS security scheme, which OpenAPI 3.0.0 does not have; generate an OpenAPI 3.1 document (openapi: '3.1.0')",
    );
  });
});

describe.each(DRIVERS)('%s: RFC 9728 metadata of certificate-bound tokens', (_driver, makeApp) => {
  it('says tls_client_certificate_bound_access_tokens: true with mtlsBound, and nothing without it', async () => {
    const auth = createAuthCheckers([BoundApi, PlainApi, Devices, ProxiedDevices], { logger: recordingLogger() });
    const app = makeApp([Documented], auth);
    const bound = await request(app).get('/.well-known/oauth-protected-resource/bound');
    expect(bound.status).toBe(200);
    expect(bound.body).toEqual({
      resource: 'https://api.example.test/bound',
      authorization_servers: ['https://id.example.test'],
      scopes_supported: [],
      bearer_methods_supported: ['header'],
      tls_client_certificate_bound_access_tokens: true,
    });
    const plain = await request(app).get('/.well-known/oauth-protected-resource/plain');
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('tls_client_certificate_bound_access_tokens');
  });
});
