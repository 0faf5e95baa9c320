import fc from 'fast-check';
import type { Money } from '../../shared/src/index.js';
import { CurrencyMismatchError, MoneyOverflowError, addMoney, moneySchema, negateMoney, sumByCurrency } from '../../shared/src/index.js';

const amount = fc.integer({ min: -1_000_000_000, max: 1_000_000_000 });
const money: fc.Arbitrary<Money> = fc.record({ amount, currency: fc.constantFrom('usd', 'eur', 'jpy') });

describe('money', () => {
  it('totals each currency separately and exactly, in any order', () => {
    fc.assert(
      fc.property(fc.array(money, { maxLength: 30 }), (values) => {
        const totals = sumByCurrency(values);
        for (const currency of ['usd', 'eur', 'jpy']) {
          const same = values.filter((v) => v.currency === currency);
          const byAdding = same.reduce((acc, v) => addMoney(acc, v), { amount: 0, currency });
          expect(totals[currency] ?? 0).toBe(byAdding.amount);
        }
        expect(sumByCurrency([...values].reverse())).toEqual(totals);
      }),
    );
  });

  it('cancels an amount with its negation', () => {
    fc.assert(
      fc.property(money, (m) => {
        expect(addMoney(m, negateMoney(m))).toEqual({ amount: 0, currency: m.currency });
      }),
    );
  });

  it('refuses to add different currencies or to go beyond exact integers', () => {
    expect(() => addMoney({ amount: 100, currency: 'usd' }, { amount: 100, currency: 'eur' })).toThrow(CurrencyMismatchError);
    expect(() => addMoney({ amount: Number.MAX_SAFE_INTEGER, currency: 'usd' }, { amount: 1, currency: 'usd' })).toThrow(MoneyOverflowError);
  });

  it('accepts whole minor units with a three-letter currency, stored in lowercase', () => {
    expect(moneySchema.parse({ amount: 1000, currency: 'USD' })).toEqual({ amount: 1000, currency: 'usd' });
    expect(moneySchema.safeParse({ amount: 10.5, currency: 'usd' }).success).toBe(false);
    expect(moneySchema.safeParse({ amount: 10, currency: 'dollars' }).success).toBe(false);
  });
});
