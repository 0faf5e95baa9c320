import * as z from 'zod';
import { DomainError } from './errors.js';

/**
 * An amount in the currency's smallest unit (cents for usd) with its
 * lowercase ISO 4217 code, as Stripe reports it. Integers keep ledger sums
 * exact; carrying the currency stops two currencies from being added by
 * accident.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export class CurrencyMismatchError extends DomainError {
  override readonly name = 'CurrencyMismatchError';
  constructor(
    readonly left: string,
    readonly right: string,
  ) {
    super(`cannot combine amounts in ${left} and ${right}`);
  }
}

/** Beyond 2^53 integers stop being exact, and a ledger total would silently drift. */
export class MoneyOverflowError extends DomainError {
  override readonly name = 'MoneyOverflowError';
  constructor(readonly currency: string) {
    super(`amount in ${currency} exceeds the largest exactly representable integer`);
  }
}

export const currencySchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z]{3}$/, { error: 'must be a three-letter ISO 4217 currency code such as usd' });

export const moneySchema = z.strictObject({
  amount: z.int({ error: 'must be a whole number of minor units (cents for usd)' }),
  currency: currencySchema,
});

export class InvalidMoneyError extends DomainError {
  override readonly name = 'InvalidMoneyError';
  constructor(readonly amount: unknown) {
    super(`amount must be a whole number of minor units, got ${String(amount)}`);
  }
}

function assertAmount(value: Money): void {
  if (!Number.isSafeInteger(value.amount)) throw new InvalidMoneyError(value.amount);
}

function checkedAmount(amount: number, currency: string): number {
  if (!Number.isSafeInteger(amount)) throw new MoneyOverflowError(currency);
  // -0 would serialise as 0 yet compare unequal under Object.is, which is how
  // deep equality (and so idempotency checks on entries) sees numbers.
  return amount === 0 ? 0 : amount;
}

export function money(amount: number, currency: string): Money {
  return moneySchema.parse({ amount, currency });
}

export function zeroMoney(currency: string): Money {
  return money(0, currency);
}

export function addMoney(a: Money, b: Money): Money {
  assertAmount(a);
  assertAmount(b);
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency);
  return { amount: checkedAmount(a.amount + b.amount, a.currency), currency: a.currency };
}

export function negateMoney(value: Money): Money {
  assertAmount(value);
  return { amount: checkedAmount(0 - value.amount, value.currency), currency: value.currency };
}

/** Totals per currency; a report shows one line per currency rather than mixing them. */
export function sumByCurrency(values: Iterable<Money>): Record<string, number> {
  const totals = new Map<string, number>();
  for (const value of values) {
    assertAmount(value);
    const next = (totals.get(value.currency) ?? 0) + value.amount;
    totals.set(value.currency, checkedAmount(next, value.currency));
  }
  return Object.fromEntries(totals);
}
