import { describe, expect, it } from '@jest/globals';
import { AddressGuard, parseNetwork } from './address-guard.js';

describe('the addresses a webhook may reach', () => {
  const guard = new AddressGuard();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['255.255.255.255', 'reserved (and broadcast)'],
    ['::7f00:1', 'IPv4-compatible'],
  ])('refuses %s (%s)', (address, what) => {
    expect(guard.refusal(address)).toBe(
      `the webhook's address ${address} is ${what}; WFNET_WEBHOOK_ALLOW_NETWORKS must name its network to allow it`,
    );
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:93.184.216.34'])(
    'accepts the public address %s',
    (address) => {
      expect(guard.refusal(address)).toBeUndefined();
    },
  );

  it('accepts a refused address inside an allowed network, and only there', () => {
    const allowing = new AddressGuard(['127.0.0.0/8', 'fd00::/8']);
    expect(allowing.refusal('127.0.0.1')).toBeUndefined();
    expect(allowing.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(allowing.refusal('fd12::1')).toBeUndefined();
    expect(allowing.refusal('10.0.0.1')).toMatch(/is private/);
    expect(allowing.refusal('::1')).toMatch(/is loopback/);
  });

  it('fails a name when any address it resolves to is refused', async () => {
    const resolvingTo = (...addresses: string[]) =>
      new AddressGuard([], ((_host: string, _options: unknown, callback: (...args: unknown[]) => void) =>
        callback(
          null,
          addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        )) as never);
    const lookUp = (guard: AddressGuard) =>
      new Promise<unknown>((resolve, reject) =>
        guard.lookup('hooks.example.com', { all: true }, (error, addresses) =>
          error ? reject(error) : resolve(addresses),
        ),
      );
    await expect(lookUp(resolvingTo('93.184.216.34', '10.0.0.7'))).rejects.toThrow(
      "the webhook's address 10.0.0.7 is private",
    );
    await expect(lookUp(resolvingTo('93.184.216.34'))).resolves.toEqual([
      { address: '93.184.216.34', family: 4 },
    ]);
  });

  it.each([
    ['127.0.0.0/8', { address: '127.0.0.0', prefix: 8 }],
    ['::1/128', { address: '::1', prefix: 128 }],
    ['10.0.0.0/33', undefined],
    ['example.com/8', undefined],
    ['127.0.0.1', undefined],
  ])('reads the network %s', (text, network) => {
    expect(parseNetwork(text)).toEqual(network);
  });
});
