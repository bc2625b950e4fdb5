import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { loadConfig } from '../config/config.js';
import { Callers } from './caller.js';
import { RateLimitGuard } from './rate-limit.guard.js';

/** The little of an HTTP execution context the guard reads. */
function contextOf(ip: string, headers: Record<string, string> = {}): ExecutionContext {
  const response = { setHeader: () => undefined };
  return {
    getType: () => 'http',
    getHandler: () => contextOf,
    getClass: () => RateLimitGuard,
    switchToHttp: () => ({ getRequest: () => ({ ip, headers }), getResponse: () => response }),
  } as unknown as ExecutionContext;
}

describe('the rate limit', () => {
  const config = loadConfig({ WFNET_EVENT_STORE: 'memory', WFNET_RATE_LIMIT: '2/10' });

  it('allows the limit per window, refuses past it, and allows again in the next window', async () => {
    let now = 1_000;
    const guard = new RateLimitGuard(config, new Reflector(), () => now, new Callers(config));
    const hit = async () => {
      try {
        return await guard.canActivate(contextOf('10.0.0.1'));
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect([await hit(), await hit(), await hit()]).toEqual([true, true, 'rate_limited']);
    expect(await guard.canActivate(contextOf('10.0.0.2'))).toBe(true);
    now += 9_999;
    expect(await hit()).toBe('rate_limited');
    now += 1;
    expect([await hit(), await hit(), await hit()]).toEqual([true, true, 'rate_limited']);
  });
});
