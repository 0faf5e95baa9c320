import { DomainError } from '../errors.js';

/** A period key that is not `YYYY-MM`, `YYYY-Qn` or `YYYY`, or lies outside years 0001–9999. */
export class InvalidPeriodKeyError extends DomainError {
  override readonly name = 'InvalidPeriodKeyError';
  constructor(readonly value: unknown) {
    super(`not a filing period key (2026-05, 2026-Q2 or 2026): ${JSON.stringify(value)}`);
  }
}

/** A month and a quarter overlap rather than order, so comparing them is a mistake, not a tie. */
export class PeriodFrequencyMismatchError extends DomainError {
  override readonly name = 'PeriodFrequencyMismatchError';
  constructor(
    readonly left: string,
    readonly right: string,
  ) {
    super(`cannot order filing periods of different frequencies: ${left} and ${right}`);
  }
}

/**
 * Every period searched was filed. Finite by design: a predicate that calls
 * everything filed would otherwise loop forever.
 */
export class NoOpenPeriodError extends DomainError {
  override readonly name = 'NoOpenPeriodError';
  constructor(readonly from: string) {
    super(`no open filing period found from ${from} onwards`);
  }
}

/** What the worker mapped from Stripe does not satisfy the ledger's input schema. */
export class InvalidLedgerInputError extends DomainError {
  override readonly name = 'InvalidLedgerInputError';
  constructor(
    readonly input: 'invoice' | 'credit_note' | 'cause' | 'treatment',
    readonly issues: readonly string[],
  ) {
    super(`invalid ${input.replace('_', ' ')} for the ledger: ${issues.join('; ')}`);
  }
}

/** A certificate of another customer must never exempt this customer's sale. */
export class CertificateCustomerMismatchError extends DomainError {
  override readonly name = 'CertificateCustomerMismatchError';
  constructor(
    readonly certificateId: string,
    readonly certificateCustomerId: string,
    readonly invoiceCustomerId: string,
  ) {
    super(
      `certificate ${certificateId} belongs to customer ${certificateCustomerId}, not to the invoice's customer ${invoiceCustomerId}`,
    );
  }
}

/** A revision needs something to revise: the invoice has no live entry in that jurisdiction (never recorded, or voided). */
export class NoCurrentEntryError extends DomainError {
  override readonly name = 'NoCurrentEntryError';
  constructor(
    readonly invoiceId: string,
    readonly jurisdiction: string | null,
  ) {
    super(`invoice ${invoiceId} has no current ledger entry in ${jurisdiction ?? 'no jurisdiction'}`);
  }
}
