import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError, loadConfig } from './config.js';

const base = { WFNET_EVENT_STORE: 'memory' };

describe('the configuration', () => {
  it('has no CORS origins and a readiness lag of 10000 by default', () => {
    const config = loadConfig(base);
    expect(config.corsOrigins).toEqual([]);
    expect(config.readyMaxLag).toBe(10_000);
  });

  it('takes work claims for 30 s unless WFNET_CLAIM_LEASE_MS says otherwise, from 1 s to an hour', () => {
    expect(loadConfig(base).claimLeaseMs).toBe(30_000);
    expect(loadConfig({ ...base, WFNET_CLAIM_LEASE_MS: '3000' }).claimLeaseMs).toBe(3000);
    expect(() => loadConfig({ ...base, WFNET_CLAIM_LEASE_MS: '999' })).toThrow(
      /WFNET_CLAIM_LEASE_MS must be an integer from 1000 to 3600000/,
    );
  });

  it('counts the readiness lag on PostgreSQL in transactions, one of which is 2^20 positions', () => {
    const postgres = { WFNET_EVENT_STORE: 'postgres://wfnet@localhost/wfnet' };
    expect(loadConfig(postgres).readyMaxLag).toBe(10_000 * 2 ** 20);
    expect(loadConfig({ ...postgres, WFNET_READY_MAX_LAG: '5' }).readyMaxLag).toBe(5);
  });

  it('holds new cases back at a lag of 10000 events unless WFNET_ADMISSION_MAX_LAG says otherwise (0: never, the default on EventStoreDB)', () => {
    expect(loadConfig(base).admissionMaxLag).toBe(10_000);
    expect(loadConfig({ ...base, WFNET_ADMISSION_MAX_LAG: '0' }).admissionMaxLag).toBe(0);
    expect(loadConfig({ WFNET_EVENT_STORE: 'esdb://localhost:2113?tls=false' }).admissionMaxLag).toBe(0);
    expect(() => loadConfig({ ...base, WFNET_ADMISSION_MAX_LAG: 'many' })).toThrow(
      /WFNET_ADMISSION_MAX_LAG must be an integer/,
    );
  });

  it('has no rate limit unless WFNET_RATE_LIMIT is set, and reads it', () => {
    expect(loadConfig(base).rateLimit).toBeUndefined();
    expect(loadConfig({ ...base, WFNET_RATE_LIMIT: '600/60' }).rateLimit).toEqual({
      limit: 600,
      windowSeconds: 60,
    });
  });

  it('allows any webhook host unless WFNET_WEBHOOK_ALLOW is set, and reads it', () => {
    expect(loadConfig(base).webhookAllow).toBeUndefined();
    expect(
      loadConfig({ ...base, WFNET_WEBHOOK_ALLOW: 'hooks.example.com, *.internal' }).webhookAllow,
    ).toEqual(['hooks.example.com', '*.internal']);
  });

  it('bounds a soundness verification at 20 s and a 1024 MB heap unless told otherwise', () => {
    expect(loadConfig(base)).toMatchObject({ verifyTimeoutMs: 20_000, verifyMaxHeapMb: 1_024 });
    expect(
      loadConfig({ ...base, WFNET_VERIFY_TIMEOUT_MS: '300', WFNET_VERIFY_MAX_HEAP_MB: '256' }),
    ).toMatchObject({ verifyTimeoutMs: 300, verifyMaxHeapMb: 256 });
  });

  it('bounds a diagram layout at 5 s and a 512 MB heap unless told otherwise', () => {
    expect(loadConfig(base)).toMatchObject({ layoutTimeoutMs: 5_000, layoutMaxHeapMb: 512 });
    expect(
      loadConfig({ ...base, WFNET_LAYOUT_TIMEOUT_MS: '250', WFNET_LAYOUT_MAX_HEAP_MB: '64' }),
    ).toMatchObject({ layoutTimeoutMs: 250, layoutMaxHeapMb: 64 });
    expect(() => loadConfig({ ...base, WFNET_LAYOUT_TIMEOUT_MS: '0' })).toThrow(
      'WFNET_LAYOUT_TIMEOUT_MS must be an integer from 1 to 600000, got "0"',
    );
  });

  it('lets webhooks reach no refused network unless WFNET_WEBHOOK_ALLOW_NETWORKS names it', () => {
    expect(loadConfig(base).webhookAllowNetworks).toEqual([]);
    expect(
      loadConfig({ ...base, WFNET_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8, ::1/128' }).webhookAllowNetworks,
    ).toEqual(['127.0.0.0/8', '::1/128']);
    expect(() => loadConfig({ ...base, WFNET_WEBHOOK_ALLOW_NETWORKS: 'localhost' })).toThrow(
      'WFNET_WEBHOOK_ALLOW_NETWORKS must be comma-separated networks such as 10.0.0.0/8 or fd00::/8, got "localhost"',
    );
  });

  it('logs at info unless WFNET_LOG_LEVEL says otherwise, in any case', () => {
    expect(loadConfig(base).logLevel).toBe('info');
    expect(loadConfig({ ...base, WFNET_LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
    expect(loadConfig({ ...base, WFNET_LOG_LEVEL: ' Debug ' }).logLevel).toBe('debug');
  });

  it('names the process <hostname>:<port> unless WFNET_PROCESS_NAME is set, and says whether it was', () => {
    expect(loadConfig({ ...base, PORT: '3007' })).toMatchObject({
      processName: `${hostname()}:3007`,
      processNameGiven: false,
    });
    expect(loadConfig({ ...base, WFNET_PROCESS_NAME: ' api-2 (eu west) ' })).toMatchObject({
      processName: 'api-2 (eu west)',
      processNameGiven: true,
    });
  });

  it.each([
    ['blank', '   '],
    ['longer than 100 characters', 'p'.repeat(101)],
    ['holding a line break', 'api\n1'],
    ['holding a control character', 'api\u00071'],
  ])('refuses a WFNET_PROCESS_NAME %s', (_, name) => {
    expect(() => loadConfig({ ...base, WFNET_PROCESS_NAME: name })).toThrow(
      /WFNET_PROCESS_NAME must be 1 to 100 printable characters/,
    );
  });

  it('reads CORS origins and the readiness lag', () => {
    const config = loadConfig({
      ...base,
      WFNET_CORS_ORIGINS: 'https://a.example, http://localhost:5173',
      WFNET_READY_MAX_LAG: '0',
    });
    expect(config.corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(config.readyMaxLag).toBe(0);
  });

  it('allows loopback names as Host by default while bound to loopback, and any name when bound elsewhere', () => {
    expect(loadConfig(base).allowedHosts).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(loadConfig({ ...base, HOST: '::1' }).allowedHosts).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(loadConfig({ ...base, HOST: '0.0.0.0' }).allowedHosts).toEqual(['*']);
    expect(loadConfig({ ...base, HOST: '10.0.0.5' }).allowedHosts).toEqual(['*']);
    expect(loadConfig({ ...base, WFNET_ALLOWED_HOSTS: 'Wfnet.Example., [::1], *' }).allowedHosts).toEqual([
      'wfnet.example',
      '::1',
      '*',
    ]);
  });

  it.each([
    ['WFNET_ALLOWED_HOSTS', 'http://wfnet.example', /WFNET_ALLOWED_HOSTS must be/],
    ['WFNET_ALLOWED_HOSTS', 'wfnet.example:3000', /WFNET_ALLOWED_HOSTS must be/],
    ['WFNET_MAX_CONNECTIONS', '0', /WFNET_MAX_CONNECTIONS must be an integer/],
    ['WFNET_MAX_PAGE_BYTES', '10', /WFNET_MAX_PAGE_BYTES must be an integer/],
    ['WFNET_CORS_ORIGINS', 'https://a.example/', /WFNET_CORS_ORIGINS must be \*/],
    ['WFNET_CORS_ORIGINS', 'a.example', /WFNET_CORS_ORIGINS/],
    ['WFNET_READY_MAX_LAG', '-1', /WFNET_READY_MAX_LAG must be an integer/],
    ['WFNET_RATE_LIMIT', '100', /WFNET_RATE_LIMIT must be <requests>\/<seconds>/],
    ['WFNET_RATE_LIMIT', '0/60', /WFNET_RATE_LIMIT/],
    ['WFNET_MAX_DATA_BYTES', '2000000', /WFNET_MAX_DATA_BYTES must be an integer/],
    ['WFNET_MAX_BODY_LAYOUTS', '0', /WFNET_MAX_BODY_LAYOUTS must be an integer/],
    ['WFNET_WEBHOOK_ALLOW', 'https://hooks.example.com', /WFNET_WEBHOOK_ALLOW must be/],
    ['WFNET_WEBHOOK_ALLOW', 'a.example,', /WFNET_WEBHOOK_ALLOW/],
    ['WFNET_READY_MAX_LAG', 'lots', /WFNET_READY_MAX_LAG must be an integer/],
    [
      'WFNET_LOG_LEVEL',
      'verbose',
      /^WFNET_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"$/,
    ],
  ])('refuses %s=%s with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(message);
  });

  it('reads API key entries with a role, a user and groups; a key without a user acts as its role', () => {
    const keys = loadConfig({
      ...base,
      WFNET_API_KEYS: 'k1:admin, k2:worker:ursula , k3:reader:gita:finance|managers',
    }).apiKeys;
    expect(Object.fromEntries(keys)).toEqual({
      k1: { user: 'admin', role: 'admin', groups: [] },
      k2: { user: 'ursula', role: 'worker', groups: [] },
      k3: { user: 'gita', role: 'reader', groups: ['finance', 'managers'] },
    });
  });

  it.each([
    ['k1:boss', /entry 1 \(<key>:boss\) has the role "boss"/],
    ['k1:admin,k2', /entry 2 \(<key>:\) has the role ""/],
    [':admin', /entry 1 \(<key>:admin\) has no key/],
    ['k1:worker:', /entry 1 \(<key>:worker:\) has an empty user/],
    ['k1:worker:ann smith', /has an empty user or one with spaces/],
    ['k1:worker:ann:finance||hr', /entry 1 \(<key>:worker:ann:finance\|\|hr\) has an empty group/],
    ['k1:worker:ann:finance:more', /entry 1 \(<key>:worker:ann:finance\) has more than four parts/],
    ['k1:worker,k1:reader', /entry 2 \(<key>:reader\) repeats the key of an earlier entry/],
  ])('refuses WFNET_API_KEYS=%s, naming the entry but never its key', (entries, message) => {
    const load = () => loadConfig({ ...base, WFNET_API_KEYS: entries });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
    expect(load).toThrow(/^WFNET_API_KEYS must be comma-separated entries key:role, key:role:user/);
    expect(load).not.toThrow(/k1/);
  });

  describe('JWTs', () => {
    const jwks = {
      ...base,
      WFNET_JWT_ISSUER: 'https://id.example',
      WFNET_JWT_AUDIENCE: 'wfnet',
      WFNET_JWT_JWKS_URL: 'https://id.example/jwks.json',
    };
    const pem = (key: { publicKey: { export(options: { type: 'spki'; format: 'pem' }): string | Buffer } }) =>
      String(key.publicKey.export({ type: 'spki', format: 'pem' }));

    it('accepts no JWT unless WFNET_JWT_ISSUER is set', () => {
      expect(loadConfig(base).jwt).toBeUndefined();
    });

    it('reads the issuer, audience, JWKS URL and claim names, with sub, wfnet_role and groups by default', () => {
      expect(loadConfig(jwks).jwt).toEqual({
        issuer: 'https://id.example',
        audience: 'wfnet',
        keys: { jwksUrl: new URL('https://id.example/jwks.json') },
        algorithms: [
          'RS256',
          'RS384',
          'RS512',
          'PS256',
          'PS384',
          'PS512',
          'ES256',
          'ES384',
          'ES512',
          'EdDSA',
          'Ed25519',
        ],
        userClaim: 'sub',
        roleClaim: 'wfnet_role',
        groupsClaim: 'groups',
      });
      expect(
        loadConfig({
          ...jwks,
          WFNET_JWT_USER_CLAIM: 'preferred_username',
          WFNET_JWT_ROLE_CLAIM: 'https://wfnet.example/role',
          WFNET_JWT_GROUPS_CLAIM: 'teams',
        }).jwt,
      ).toMatchObject({
        userClaim: 'preferred_username',
        roleClaim: 'https://wfnet.example/role',
        groupsClaim: 'teams',
      });
      expect(loadConfig({ ...jwks, WFNET_JWT_JWKS_URL: 'http://localhost:8080/jwks' }).jwt?.keys).toEqual({
        jwksUrl: new URL('http://localhost:8080/jwks'),
      });
    });

    it('accepts, from a public key, only the algorithms that key verifies, its line breaks written as \\n or not', () => {
      const { WFNET_JWT_JWKS_URL: _, ...issuer } = jwks;
      const algorithmsOf = (publicKey: string) =>
        loadConfig({ ...issuer, WFNET_JWT_PUBLIC_KEY: publicKey }).jwt?.algorithms;
      const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }));
      expect(algorithmsOf(rsa)).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
      expect(algorithmsOf(rsa.replace(/\n/g, '\\n'))).toEqual(algorithmsOf(rsa));
      expect(algorithmsOf(pem(generateKeyPairSync('ec', { namedCurve: 'P-384' })))).toEqual(['ES384']);
      expect(algorithmsOf(pem(generateKeyPairSync('ed25519')))).toEqual(['EdDSA', 'Ed25519']);
      expect(loadConfig({ ...issuer, WFNET_JWT_PUBLIC_KEY: rsa }).jwt?.keys).toEqual({
        publicKeyPem: rsa.trim(),
      });
    });

    it.each([
      [{ WFNET_JWT_AUDIENCE: 'wfnet' }, /^WFNET_JWT_AUDIENCE is set but WFNET_JWT_ISSUER is not/],
      [{ WFNET_JWT_ISSUER: 'https://id.example' }, /^WFNET_JWT_AUDIENCE must be set with WFNET_JWT_ISSUER/],
      [
        { WFNET_JWT_ISSUER: 'https://id.example', WFNET_JWT_AUDIENCE: 'wfnet' },
        /^WFNET_JWT_ISSUER needs exactly one of WFNET_JWT_JWKS_URL or WFNET_JWT_PUBLIC_KEY$/,
      ],
      [
        { ...jwks, WFNET_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----' },
        /^WFNET_JWT_ISSUER needs exactly one of/,
      ],
      [
        { ...jwks, WFNET_JWT_JWKS_URL: 'http://id.example/jwks' },
        /^WFNET_JWT_JWKS_URL must be an https:\/\/ URL/,
      ],
      [{ ...jwks, WFNET_JWT_JWKS_URL: 'id.example/jwks' }, /^WFNET_JWT_JWKS_URL must be an https:\/\/ URL/],
      [
        { ...jwks, WFNET_JWT_ROLE_CLAIM: 'the role' },
        /^WFNET_JWT_ROLE_CLAIM must be a claim name without spaces/,
      ],
      [{ ...jwks, WFNET_API_KEYS: 'aaa.bbb.ccc:admin' }, /^WFNET_API_KEYS holds a key shaped like a JWT/],
    ])('refuses the JWT settings %j with a message naming the setting', (env, message) => {
      expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, ...env })).toThrow(message);
    });

    it.each([
      [
        'not a PEM',
        'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
        /it does not begin with -----BEGIN PUBLIC KEY-----/,
      ],
      ['a damaged PEM', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', /it could not be read/],
      [
        'a short RSA key',
        pem(generateKeyPairSync('rsa', { modulusLength: 1024 })),
        /it is an RSA key of 1024 bits/,
      ],
      [
        'a secp256k1 key',
        pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' })),
        /on the curve secp256k1/,
      ],
      ['an X25519 key', pem(generateKeyPairSync('x25519')), /it is a key of type x25519/],
    ])('refuses as WFNET_JWT_PUBLIC_KEY %s, saying which keys it takes', (_, publicKey, message) => {
      const { WFNET_JWT_JWKS_URL: _url, ...issuer } = jwks;
      const load = () => loadConfig({ ...issuer, WFNET_JWT_PUBLIC_KEY: publicKey });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(
        /^WFNET_JWT_PUBLIC_KEY must be a PEM public key \(-----BEGIN PUBLIC KEY-----\): RSA of 2048 bits/,
      );
      expect(load).toThrow(message);
    });
  });
});
