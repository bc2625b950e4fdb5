import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { createRemoteJWKSet, errors, importSPKI, jwtVerify } from 'jose';
import type { JwtConfig } from '../config/config.js';
import { ROLES, isRole } from '../config/config.js';
import type { Identity } from './identity.js';

/** Why a bearer JWT proves nothing, in words fit for the caller. */
export class TokenRefused extends Error {
  override readonly name: string = 'TokenRefused';
}

/** The issuer's JWKS could not be had: not the token's fault, and worth a line in the log. */
export class IssuerKeysUnavailable extends TokenRefused {
  override readonly name = 'IssuerKeysUnavailable';
}

/** Leeway for the clocks of the issuer and this service: `exp`, `nbf` and `iat` may be off by this much. */
const CLOCK_SKEW_SECONDS = 30;

/** A user, role and groups from bearer JWTs signed by the configured issuer. */
export class JwtVerifier {
  private readonly key: JWTVerifyGetKey;

  constructor(private readonly config: JwtConfig) {
    this.key =
      'jwksUrl' in config.keys ? remoteKeys(config.keys.jwksUrl) : publicKey(config.keys.publicKeyPem);
  }

  async verify(token: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: [...this.config.algorithms],
        clockTolerance: CLOCK_SKEW_SECONDS,
        // A token without an expiry would be good forever once it leaked.
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      // Anything else (a JWKS key jose cannot use, say) is the service's problem, for the caller to log.
      throw error instanceof errors.JOSEError ? refusalOf(error, this.config) : error;
    }
    return this.identityOf(payload);
  }

  private identityOf(payload: JWTPayload): Identity {
    const { userClaim, roleClaim, groupsClaim } = this.config;
    const user = payload[userClaim];
    if (typeof user !== 'string' || user.trim() === '') {
      throw new TokenRefused(
        `the token's ${userClaim} claim, which names the user, is missing or not a string`,
      );
    }
    const role = payload[roleClaim];
    if (!isRole(role)) {
      throw new TokenRefused(
        `the token's ${roleClaim} claim, which gives the role, is missing or invalid: it must be one of ${ROLES.join(', ')}`,
      );
    }
    const groups = payload[groupsClaim] ?? [];
    if (!Array.isArray(groups) || !groups.every((group): group is string => typeof group === 'string')) {
      throw new TokenRefused(`the token's ${groupsClaim} claim must be an array of strings`);
    }
    return { user, role, groups };
  }
}

/** The issuer's JWKS, fetched on first use and cached by jose; a failure to fetch it is told apart. */
function remoteKeys(url: URL): JWTVerifyGetKey {
  const jwks = createRemoteJWKSet(url);
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys ||
        error instanceof errors.JOSENotSupported ||
        error instanceof errors.JWKInvalid
      ) {
        throw error;
      }
      throw new IssuerKeysUnavailable(
        `the issuer's keys could not be fetched from WFNET_JWT_JWKS_URL; try again later`,
        { cause: error },
      );
    }
  };
}

/** The one configured key, imported once per algorithm a token names (the algorithms are the key's own). */
function publicKey(pem: string): JWTVerifyGetKey {
  const imported = new Map<string, ReturnType<typeof importSPKI>>();
  return (header) => {
    const alg = header.alg ?? '';
    let key = imported.get(alg);
    if (key === undefined) {
      key = importSPKI(pem, alg);
      imported.set(alg, key);
    }
    return key;
  };
}

function refusalOf(error: errors.JOSEError, config: JwtConfig): TokenRefused {
  if (error instanceof errors.JWTExpired) return new TokenRefused('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return new TokenRefused(`the token's issuer (iss) is not ${config.issuer}`);
      case 'aud':
        return new TokenRefused(
          `the token is not meant for this service: its audience (aud) lacks ${config.audience}`,
        );
      case 'nbf':
        return new TokenRefused('the token is not valid yet (nbf)');
      default:
        return new TokenRefused(
          error.reason === 'missing'
            ? `the token has no ${error.claim} claim`
            : `the token's ${error.claim} claim is invalid`,
        );
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new TokenRefused(
      `the token's signature algorithm (alg) is not accepted; accepted: ${config.algorithms.join(', ')}`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new TokenRefused("no key of the issuer matches the token's key id (kid) and algorithm");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRefused("the token's signature does not verify");
  }
  return new TokenRefused('the token is not a well-formed signed JWT');
}
