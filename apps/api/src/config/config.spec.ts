import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

const base = { WFNET_EVENT_STORE: 'memory' };

describe('the configuration', () => {
  it('has no CORS origins and a readiness lag of 10000 by default', () => {
    const config = loadConfig(base);
    expect(config.corsOrigins).toEqual([]);
    expect(config.readyMaxLag).toBe(10_000);
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
});
