import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Ranges a webhook may not reach unless a network of `WFNET_WEBHOOK_ALLOW_NETWORKS` covers the address. */
const REFUSED: readonly (readonly [network: string, prefix: number, what: string])[] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved for protocols'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved for benchmarks'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved (and broadcast)'],
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  // IPv4-compatible addresses (deprecated): none is a public destination.
  ['::', 96, 'IPv4-compatible'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

const familyOf = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 4 ? 'ipv4' : 'ipv6');

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part counts as two). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const first = parse(head);
  const last = tail === undefined ? [] : parse(tail);
  return [...first, ...Array<number>(8 - first.length - last.length).fill(0), ...last];
}

/**
 * The IPv4 address an IPv6 address stands for, if it does: IPv4-mapped (`::ffff:a.b.c.d`, how a dual-stack
 * socket reaches IPv4) and the well-known NAT64 prefix (`64:ff9b::/96`).
 */
function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (!mapped && !nat64) return undefined;
  const [high = 0, low = 0] = groups.slice(6);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Parses `address/prefix` (IPv4 or IPv6); undefined when it is not one. */
export function parseNetwork(text: string): { address: string; prefix: number } | undefined {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim());
  if (!match) return undefined;
  const address = match[1]!;
  const prefix = Number(match[2]);
  const family = isIP(address);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address, prefix };
}

export type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** The `lookup` of `net.connect`: with `all` (as happy eyeballs asks) it answers every address. */
export type GuardedLookup = (
  hostname: string,
  options: LookupOneOptions | LookupAllOptions,
  callback: LookupCallback,
) => void;

/**
 * Decides whether a webhook may connect to an address. Checked on the address a connection is opened
 * to (the `lookup` of the socket), never on a name resolved earlier, so a name that resolves elsewhere
 * the second time (DNS rebinding) gains nothing.
 */
export class AddressGuard {
  readonly #refused: readonly (readonly [BlockList, string])[];
  readonly #allowed = new BlockList();

  constructor(
    allowNetworks: readonly string[] = [],
    private readonly resolve: typeof dnsLookup = dnsLookup,
  ) {
    this.#refused = REFUSED.map(([network, prefix, what]) => {
      const list = new BlockList();
      list.addSubnet(network, prefix, familyOf(network));
      return [list, what] as const;
    });
    for (const text of allowNetworks) {
      const network = parseNetwork(text);
      if (!network) throw new Error(`not a network (address/prefix): ${text}`);
      this.#allowed.addSubnet(network.address, network.prefix, familyOf(network.address));
    }
  }

  /** Why a webhook may not connect to `address` (an IP address), or undefined when it may. */
  refusal(address: string): string | undefined {
    const plain = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
    const family = familyOf(plain);
    const inner = family === 'ipv6' ? embeddedIpv4(plain) : undefined;
    if (this.#allowed.check(plain, family) || (inner !== undefined && this.#allowed.check(inner, 'ipv4'))) {
      return undefined;
    }
    const what =
      this.#refused.find(([list]) => list.check(plain, family))?.[1] ??
      (inner === undefined ? undefined : this.#refused.find(([list]) => list.check(inner, 'ipv4'))?.[1]);
    return what === undefined
      ? undefined
      : `the webhook's address ${plain} is ${what}; WFNET_WEBHOOK_ALLOW_NETWORKS must name its network to allow it`;
  }

  /** Resolves like `dns.lookup`, failing when any address the name resolves to is refused. */
  readonly lookup: GuardedLookup = (hostname, options, callback) => {
    this.resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '');
        return;
      }
      const refusal = addresses.map(({ address }) => this.refusal(address)).find((why) => why !== undefined);
      if (refusal !== undefined) {
        callback(Object.assign(new Error(refusal), { code: 'EWEBHOOKADDRESS' }), '');
        return;
      }
      if (options.all === true) callback(null, addresses);
      else {
        const [first] = addresses;
        if (first) callback(null, first.address, first.family);
        else
          callback(Object.assign(new Error(`${hostname} resolves to no address`), { code: 'ENOTFOUND' }), '');
      }
    });
  };
}
