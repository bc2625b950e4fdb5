import type { JsonValue } from '@wfnet/domain';

/** A case of about 1 MiB: a thousand line items, a long note, and the few fields a condition reads. */
export function largeCase(): JsonValue {
  const items = Array.from({ length: 1000 }, (_, i) => ({
    sku: `sku-${i}`,
    quantity: i % 7,
    price: 9.5 + i,
    description: 'x'.repeat(500),
    tags: ['a', 'b', 'c'],
  }));
  return { amount: 12_000, customer: { tier: 'gold', since: 2019 }, note: 'n'.repeat(400_000), items };
}
