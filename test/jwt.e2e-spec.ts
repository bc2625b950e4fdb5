import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { CryptoKey, JWTPayload } from 'jose';
import { SignJWT, base64url, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Reply } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import { singleManual } from './http/nets.js';

jest.setTimeout(20_000);

const ISSUER = 'https://id.wfnet.test';
const AUDIENCE = 'wfnet';

interface Signing {
  readonly key: CryptoKey | Uint8Array;
  readonly alg: string;
  readonly kid?: string;
}

/** A token of `claims` over the usual iss, aud and an expiry 5 minutes on; `claims` may take any of them away. */
async function tokenOf(
  signing: Signing,
  claims: JWTPayload & { exp?: number | undefined } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = Object.fromEntries(
    Object.entries({ iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, ...claims }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  return new SignJWT(payload)
    .setProtectedHeader({
      alg: signing.alg,
      typ: 'JWT',
      ...(signing.kid !== undefined && { kid: signing.kid }),
    })
    .sign(signing.key);
}

const ursula = { sub: 'ursula', wfnet_role: 'worker', groups: ['finance', 'managers'] };

function expectUnauthorized(reply: Reply, message: RegExp): void {
  expect({ status: reply.status, body: reply.body }).toEqual({
    status: 401,
    body: expect.objectContaining({
      statusCode: 401,
      code: 'unauthorized',
      message: expect.stringMatching(message),
    }),
  });
}

describe("bearer JWTs verified against the issuer's JWKS, beside API keys", () => {
  let service: Service;
  let jwks: Server;
  let serving = true;
  let issuerKey: Signing;
  let strangerKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    const stranger = await generateKeyPair('RS256');
    issuerKey = { key: pair.privateKey, alg: 'RS256', kid: 'issuer-1' };
    strangerKey = stranger.privateKey;
    const published = JSON.stringify({
      keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'issuer-1', alg: 'RS256', use: 'sig' }],
    });
    jwks = createServer((_request, response) => {
      if (!serving) {
        response.writeHead(503).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(published);
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    service = await startService('memory', {
      env: {
        WFNET_JWT_ISSUER: ISSUER,
        WFNET_JWT_AUDIENCE: AUDIENCE,
        WFNET_JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
        WFNET_API_KEYS: 'kim-key:worker:kim:ops',
      },
    });
  });

  afterAll(async () => {
    await service?.stop();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  // First: until the issuer's keys have been fetched once, there is nothing to verify with.
  it("answers 401 saying the issuer's keys could not be fetched while its JWKS does not answer", async () => {
    serving = false;
    expectUnauthorized(
      await service.api.withKey(await tokenOf(issuerKey, ursula)).get('/whoami'),
      /^the issuer's keys could not be fetched/,
    );
    serving = true;
    expect((await service.api.withKey(await tokenOf(issuerKey, ursula)).get('/whoami')).status).toBe(200);
  });

  it('takes the user, role and groups from a valid token, and gives it the rights of its role', async () => {
    const asUrsula = service.api.withKey(await tokenOf(issuerKey, ursula));
    const whoami = await asUrsula.get('/whoami');
    expect({ status: whoami.status, body: whoami.body }).toEqual({
      status: 200,
      body: { user: 'ursula', role: 'worker', groups: ['finance', 'managers'] },
    });
    expect((await asUrsula.get('/workflows')).status).toBe(200);
    const refused = await asUrsula.post('/workflows', singleManual('by-ursula'));
    expect({ status: refused.status, code: (refused.body as { code?: string }).code }).toEqual({
      status: 403,
      code: 'forbidden',
    });
  });

  it('reads a token without groups as no groups, and still takes API keys', async () => {
    const reader = await tokenOf(issuerKey, { sub: 'rita', wfnet_role: 'reader' });
    expect((await service.api.withKey(reader).get('/whoami')).body).toEqual({
      user: 'rita',
      role: 'reader',
      groups: [],
    });
    expect((await service.api.withKey('kim-key').get('/whoami')).body).toEqual({
      user: 'kim',
      role: 'worker',
      groups: ['ops'],
    });
    expectUnauthorized(
      await service.api.withKey('not-a-key').get('/whoami'),
      /^a valid API key or JWT is required: Authorization: Bearer <key or token>$/,
    );
  });

  it('allows 30 s of clock skew on the expiry, and refuses a token expired longer ago', async () => {
    const now = Math.floor(Date.now() / 1000);
    const justExpired = await tokenOf(issuerKey, { ...ursula, iat: now - 300, exp: now - 10 });
    expect((await service.api.withKey(justExpired).get('/whoami')).status).toBe(200);
    const expired = await tokenOf(issuerKey, { ...ursula, iat: now - 300, exp: now - 120 });
    expectUnauthorized(await service.api.withKey(expired).get('/whoami'), /^the token has expired$/);
  });

  it('refuses a token without an expiry', async () => {
    const forever = await tokenOf(issuerKey, { ...ursula, exp: undefined });
    expectUnauthorized(await service.api.withKey(forever).get('/whoami'), /^the token has no exp claim$/);
  });

  it('refuses a token for another audience or from another issuer', async () => {
    serving = true;
    expectUnauthorized(
      await service.api
        .withKey(await tokenOf(issuerKey, { ...ursula, aud: 'another-service' }))
        .get('/whoami'),
      /^the token is not meant for this service: its audience \(aud\) lacks wfnet$/,
    );
    expectUnauthorized(
      await service.api
        .withKey(await tokenOf(issuerKey, { ...ursula, iss: 'https://elsewhere.test' }))
        .get('/whoami'),
      /^the token's issuer \(iss\) is not https:\/\/id\.wfnet\.test$/,
    );
  });

  it("refuses a token signed by another key under the issuer's key id, or under a key id the issuer does not publish", async () => {
    const forged = await tokenOf({ key: strangerKey, alg: 'RS256', kid: 'issuer-1' }, ursula);
    expectUnauthorized(
      await service.api.withKey(forged).get('/whoami'),
      /^the token's signature does not verify$/,
    );
    const unknownKid = await tokenOf({ key: strangerKey, alg: 'RS256', kid: 'stranger-1' }, ursula);
    expectUnauthorized(
      await service.api.withKey(unknownKid).get('/whoami'),
      /^no key of the issuer matches the token's key id \(kid\)/,
    );
  });

  it('refuses an unsigned token (alg none) and an HMAC-signed one, saying which algorithms it accepts', async () => {
    const claims = { iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300, ...ursula };
    const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify(claims))}.`;
    expectUnauthorized(
      await service.api.withKey(unsigned).get('/whoami'),
      /^the token's signature algorithm \(alg\) is not accepted; accepted: RS256, RS384, RS512, PS256/,
    );
    const hmac = await tokenOf(
      { key: new TextEncoder().encode('a shared secret of 32 bytes!!!!!'), alg: 'HS256' },
      ursula,
    );
    expectUnauthorized(
      await service.api.withKey(hmac).get('/whoami'),
      /^the token's signature algorithm \(alg\) is not accepted/,
    );
  });

  it('refuses a token whose role claim is missing or not a role, or whose groups are not strings', async () => {
    const roleless = await tokenOf(issuerKey, { sub: 'ursula', groups: ['finance'] });
    const missingRole =
      /^the token's wfnet_role claim, which gives the role, is missing or invalid: it must be one of admin, worker, reader$/;
    expectUnauthorized(await service.api.withKey(roleless).get('/whoami'), missingRole);
    const superuser = await tokenOf(issuerKey, { ...ursula, wfnet_role: 'superuser' });
    expectUnauthorized(await service.api.withKey(superuser).get('/whoami'), missingRole);
    const nobody = await tokenOf(issuerKey, { wfnet_role: 'worker' });
    expectUnauthorized(
      await service.api.withKey(nobody).get('/whoami'),
      /^the token's sub claim, which names the user, is missing or not a string$/,
    );
    const badGroups = await tokenOf(issuerKey, { ...ursula, groups: 'finance' });
    expectUnauthorized(
      await service.api.withKey(badGroups).get('/whoami'),
      /^the token's groups claim must be an array of strings$/,
    );
  });

  it('lets a token with the admin role define a workflow', async () => {
    const admin = await tokenOf(issuerKey, { sub: 'ada', wfnet_role: 'admin' });
    expect((await service.api.withKey(admin).post('/workflows', singleManual('by-ada'))).status).toBe(201);
  });
});

describe('bearer JWTs verified with WFNET_JWT_PUBLIC_KEY, rate-limited per user', () => {
  let service: Service;
  let issuerKey: Signing;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    issuerKey = { key: pair.privateKey, alg: 'ES256' };
    service = await startService('memory', {
      env: {
        WFNET_JWT_ISSUER: ISSUER,
        WFNET_JWT_AUDIENCE: AUDIENCE,
        // As an environment variable often holds it: on one line, its line breaks written as \n.
        WFNET_JWT_PUBLIC_KEY: (await exportSPKI(pair.publicKey)).replace(/\n/g, '\\n'),
        WFNET_JWT_USER_CLAIM: 'preferred_username',
        WFNET_JWT_ROLE_CLAIM: 'https://wfnet.test/role',
        WFNET_JWT_GROUPS_CLAIM: 'teams',
        WFNET_RATE_LIMIT: '3/60',
      },
    });
  });

  afterAll(() => service?.stop());

  it('takes the user, role and groups from the configured claims of a token the key verifies', async () => {
    const token = await tokenOf(issuerKey, {
      sub: 'a1b2c3',
      preferred_username: 'pat',
      'https://wfnet.test/role': 'reader',
      teams: ['audit'],
    });
    const reply = await service.api.withKey(token).get('/whoami');
    expect({ status: reply.status, body: reply.body }).toEqual({
      status: 200,
      body: { user: 'pat', role: 'reader', groups: ['audit'] },
    });
  });

  it('refuses a token signed by another key, or in an algorithm the key cannot verify', async () => {
    const claims = { preferred_username: 'mallory', 'https://wfnet.test/role': 'admin' };
    const other = await generateKeyPair('ES256');
    expectUnauthorized(
      await service.api
        .withKey(await tokenOf({ key: other.privateKey, alg: 'ES256' }, claims))
        .get('/whoami'),
      /^the token's signature does not verify$/,
    );
    const rsa = await generateKeyPair('RS256');
    expectUnauthorized(
      await service.api.withKey(await tokenOf({ key: rsa.privateKey, alg: 'RS256' }, claims)).get('/whoami'),
      /^the token's signature algorithm \(alg\) is not accepted; accepted: ES256$/,
    );
  });

  it("counts a JWT caller's requests against its user, whichever of its tokens it sends", async () => {
    const quinn = { preferred_username: 'quinn', 'https://wfnet.test/role': 'worker' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const token = await tokenOf(issuerKey, { ...quinn, jti: `quinn-${i}` });
      statuses.push((await service.api.withKey(token).get('/workflows')).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const rosa = await tokenOf(issuerKey, {
      preferred_username: 'rosa',
      'https://wfnet.test/role': 'worker',
    });
    expect((await service.api.withKey(rosa).get('/workflows')).status).toBe(200);
  });
});
