import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import type { Config } from '../config/config.js';
import { JWT_SHAPE, authenticates } from '../config/config.js';
import { CONFIG } from '../tokens.js';
import type { Identity } from './identity.js';
import { ANONYMOUS } from './identity.js';
import { IssuerKeysUnavailable, JwtVerifier, TokenRefused } from './jwt-verifier.js';

const digest = (key: string): Buffer => createHash('sha256').update(key).digest();

/**
 * What a request's credential proves: who it acts as, or why it proves nothing (`refusal`, for a 401).
 * `tracker` is who the request counts against for limits: its API key, its JWT's user, or, without a
 * valid credential, its client address (so that inventing keys or tokens buys no fresh allowance).
 */
export type Credential =
  | { readonly identity: Identity; readonly tracker: string }
  | { readonly refusal: string; readonly tracker: string };

/**
 * Works out each request's credential once, for the rate limit, the auth guard and the stream limit alike:
 * API keys from `WFNET_API_KEYS` (known by digest, compared in constant time) and bearer JWTs when
 * `WFNET_JWT_ISSUER` is set. With neither configured, every caller is `ANONYMOUS`.
 */
@Injectable()
export class Callers {
  private readonly logger = new Logger('auth');
  private readonly open: boolean;
  private readonly keys: readonly { readonly digest: Buffer; readonly identity: Identity }[];
  private readonly jwt: JwtVerifier | undefined;
  private readonly pending = new WeakMap<Request, Promise<Credential>>();
  private readonly settled = new WeakMap<Request, Credential>();

  constructor(@Inject(CONFIG) config: Config) {
    this.open = !authenticates(config);
    this.keys = [...config.apiKeys].map(([key, identity]) => ({ digest: digest(key), identity }));
    this.jwt = config.jwt && new JwtVerifier(config.jwt);
  }

  /** The request's credential, verified on the first call and remembered for the request's later ones. */
  identify(request: Request): Promise<Credential> {
    let credential = this.pending.get(request);
    if (credential === undefined) {
      credential = this.verify(request).then((verified) => {
        this.settled.set(request, verified);
        return verified;
      });
      this.pending.set(request, credential);
    }
    return credential;
  }

  /** Who the request counts against, once `identify` has settled (the guards see to it); its address before. */
  of(request: Request): string {
    return this.settled.get(request)?.tracker ?? addressOf(request);
  }

  private async verify(request: Request): Promise<Credential> {
    const address = addressOf(request);
    if (this.open) return { identity: ANONYMOUS, tracker: address };
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
    const presented = match?.[1]?.trim();
    if (presented === undefined || presented === '') {
      return { refusal: this.required(), tracker: address };
    }
    if (this.jwt !== undefined && JWT_SHAPE.test(presented)) {
      try {
        const identity = await this.jwt.verify(presented);
        return { identity, tracker: `user:${identity.user}` };
      } catch (error) {
        if (error instanceof IssuerKeysUnavailable) {
          this.logger.warn(`${error.message}: ${causesOf(error.cause)}`);
        }
        const refusal = error instanceof TokenRefused ? error.message : 'the token could not be verified';
        if (!(error instanceof TokenRefused))
          this.logger.error(`verifying a token failed: ${causesOf(error)}`);
        return { refusal, tracker: address };
      }
    }
    const presentedDigest = digest(presented);
    let found: { readonly digest: Buffer; readonly identity: Identity } | undefined;
    // Every key is compared, so the time taken does not tell which one matched.
    for (const key of this.keys) if (timingSafeEqual(key.digest, presentedDigest)) found = key;
    return found === undefined
      ? { refusal: this.required(), tracker: address }
      : { identity: found.identity, tracker: `key:${presentedDigest.toString('hex')}` };
  }

  private required(): string {
    return this.jwt === undefined
      ? 'a valid API key is required: Authorization: Bearer <key>'
      : 'a valid API key or JWT is required: Authorization: Bearer <key or token>';
  }
}

const addressOf = (request: Request): string => `address:${request.ip ?? 'unknown'}`;

/** An error and its causes in one line: fetch's own message ("fetch failed") says nothing of why. */
function causesOf(error: unknown): string {
  const messages: string[] = [];
  for (let cause = error; cause !== undefined && messages.length < 5;) {
    messages.push(cause instanceof Error ? cause.message : inspect(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return messages.join(': ');
}
