import fc from 'fast-check';
import type { PeriodFrequency } from '../../shared/src/index.js';
import {
  InvalidPeriodKeyError,
  NoOpenPeriodError,
  PeriodFrequencyMismatchError,
  comparePeriods,
  currentOpenPeriod,
  entriesForInvoice,
  ledgerContext,
  nextPeriod,
  periodContains,
  periodKey,
  periodKeySchema,
  periodRange,
  placeInPeriod,
  placeTransaction,
  previousPeriod,
} from '../../shared/src/index.js';
import { calendarDate, dayNumber, plusDays } from './arbitraries.js';
import { invoice } from './ledgerFixtures.js';

const frequency = fc.constantFrom<PeriodFrequency>('monthly', 'quarterly', 'annual');

describe('filing period keys', () => {
  it('names a month, a quarter or a year', () => {
    expect(periodKey('2026-05-12', 'monthly')).toBe('2026-05');
    expect(periodKey('2026-05-12', 'quarterly')).toBe('2026-Q2');
    expect(periodKey('2026-05-12', 'annual')).toBe('2026');
    expect(periodKey('2026-12-31', 'quarterly')).toBe('2026-Q4');
    expect(periodKey('2026-01-01', 'quarterly')).toBe('2026-Q1');
  });

  it('gives each period its first and last day, leap days included', () => {
    expect(periodRange('2026-02')).toEqual({ first: '2026-02-01', last: '2026-02-28' });
    expect(periodRange('2028-02')).toEqual({ first: '2028-02-01', last: '2028-02-29' });
    expect(periodRange('2026-Q2')).toEqual({ first: '2026-04-01', last: '2026-06-30' });
    expect(periodRange('2026-Q4')).toEqual({ first: '2026-10-01', last: '2026-12-31' });
    expect(periodRange('2026')).toEqual({ first: '2026-01-01', last: '2026-12-31' });
  });

  it('steps to the next and previous period across year ends', () => {
    expect(nextPeriod('2026-12')).toBe('2027-01');
    expect(nextPeriod('2026-Q4')).toBe('2027-Q1');
    expect(nextPeriod('2026')).toBe('2027');
    expect(previousPeriod('2027-01')).toBe('2026-12');
    expect(previousPeriod('2027-Q1')).toBe('2026-Q4');
  });

  it('puts every date in exactly the period whose range holds it, and periods tile the calendar with no gap or overlap', () => {
    fc.assert(
      fc.property(calendarDate, frequency, (date, f) => {
        const key = periodKey(date, f);
        const { first, last } = periodRange(key);
        expect(dayNumber(first) <= dayNumber(date) && dayNumber(date) <= dayNumber(last)).toBe(true);
        expect(periodContains(key, date)).toBe(true);
        expect(periodKey(first, f)).toBe(key);
        expect(periodKey(last, f)).toBe(key);
        const next = nextPeriod(key);
        expect(periodRange(next).first).toBe(plusDays(last, 1));
        expect(previousPeriod(next)).toBe(key);
        expect(comparePeriods(key, next)).toBeLessThan(0);
        expect(comparePeriods(next, key)).toBeGreaterThan(0);
        expect(comparePeriods(key, key)).toBe(0);
        // Keys of one frequency sort as strings in calendar order, as the database will sort them.
        expect(key < next).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses to order a month against a quarter, and rejects keys that name no period', () => {
    expect(() => comparePeriods('2026-05', '2026-Q2')).toThrow(PeriodFrequencyMismatchError);
    for (const bad of ['2026-13', '2026-Q5', '2026-5', '26-05', '2026-00', '0000', '2026-05-01', '']) {
      expect(periodKeySchema.safeParse(bad).success).toBe(false);
      expect(() => periodRange(bad)).toThrow(InvalidPeriodKeyError);
    }
  });
});

describe('the current open period', () => {
  it('is the period containing today when that one is open', () => {
    expect(currentOpenPeriod('2026-05-12', 'monthly', new Set(['2026-03']))).toBe('2026-05');
  });

  it('is the next period not filed when the one containing today is filed, never an earlier open one', () => {
    expect(currentOpenPeriod('2026-05-12', 'monthly', new Set(['2026-05']))).toBe('2026-06');
    expect(currentOpenPeriod('2026-05-12', 'monthly', new Set(['2026-05', '2026-06']))).toBe('2026-07');
    expect(currentOpenPeriod('2026-05-12', 'quarterly', (key) => key === '2026-Q2')).toBe('2026-Q3');
  });

  it('gives up with a clear error instead of searching forever when everything is filed', () => {
    expect(() => currentOpenPeriod('2026-05-12', 'monthly', () => true)).toThrow(NoOpenPeriodError);
  });
});

describe('placing an entry in a period', () => {
  const filedMarch = ledgerContext({
    timeZone: 'America/Chicago',
    today: '2026-05-12',
    filed: [{ jurisdiction: 'US-TX', periodKey: '2026-03' }],
  });

  it('keeps an entry in its own period while that period is open', () => {
    expect(placeInPeriod(filedMarch, 'US-TX', '2026-04')).toBe('2026-04');
    expect(placeTransaction(filedMarch, 'US-TX', '2026-04-08')).toBe('2026-04');
  });

  it('moves an entry whose period is filed into the current open period', () => {
    expect(placeInPeriod(filedMarch, 'US-TX', '2026-03')).toBe('2026-05');
  });

  it('tracks filing per jurisdiction: March filed in Texas is still open in California', () => {
    expect(placeInPeriod(filedMarch, 'US-CA', '2026-03')).toBe('2026-03');
  });

  it('maps a stored key of another frequency onto the jurisdiction’s current frequency', () => {
    const quarterly = ledgerContext({ timeZone: 'UTC', today: '2026-05-12', frequencies: { 'US-TX': 'quarterly' } });
    expect(placeInPeriod(quarterly, 'US-TX', '2026-05')).toBe('2026-Q2');
  });

  it('never places anything in a filed period, and never before the current open period once moved', () => {
    fc.assert(
      fc.property(
        calendarDate,
        fc.integer({ min: -400, max: 400 }),
        fc.array(fc.integer({ min: -15, max: 15 }), { maxLength: 12 }),
        frequency,
        (today, offset, filedOffsets, f) => {
          const todayKey = periodKey(today, f);
          const shift = (key: string, n: number) => {
            let k = key;
            for (let i = 0; i < Math.abs(n); i += 1) k = n > 0 ? nextPeriod(k) : previousPeriod(k);
            return k;
          };
          const filed = filedOffsets.map((n) => shift(todayKey, n));
          const context = ledgerContext({ timeZone: 'UTC', today, defaultFrequency: f, filed: filed.map((periodKey) => ({ jurisdiction: 'US-TX', periodKey })) });
          const natural = periodKey(plusDays(today, offset), f);
          const placed = placeInPeriod(context, 'US-TX', natural);
          expect(filed.includes(placed)).toBe(false);
          if (!filed.includes(natural)) expect(placed).toBe(natural);
          else expect(comparePeriods(placed, todayKey) >= 0 && comparePeriods(placed, natural) > 0).toBe(true);
        },
      ),
    );
  });
});

describe('transaction dates and periods across time zones', () => {
  it('books an invoice finalized 2026-06-01T03:00Z in May for an account in Los Angeles, and in June for one on UTC', () => {
    const facts = invoice({ finalizedAt: '2026-06-01T03:00:00.000Z' });
    const [la] = entriesForInvoice({ invoice: facts, certificates: [], eventId: 'evt_1' }, ledgerContext({ timeZone: 'America/Los_Angeles', today: '2026-06-10' }));
    const [utc] = entriesForInvoice({ invoice: facts, certificates: [], eventId: 'evt_1' }, ledgerContext({ timeZone: 'UTC', today: '2026-06-10' }));
    expect(la).toMatchObject({ transactionDate: '2026-05-31', periodKey: '2026-05' });
    expect(utc).toMatchObject({ transactionDate: '2026-06-01', periodKey: '2026-06' });
  });

  it('uses each jurisdiction’s own frequency: quarterly Texas and annual California on the same invoice', () => {
    const facts = invoice({
      taxes: [
        { jurisdiction: 'US-TX', level: 'state', taxableAmount: 10_000, amount: 625, taxabilityReason: 'standard_rated' },
        { jurisdiction: 'US-CA', level: 'state', taxableAmount: 10_000, amount: 725, taxabilityReason: 'standard_rated' },
        { jurisdiction: 'US-NY', level: 'state', taxableAmount: 10_000, amount: 400, taxabilityReason: 'standard_rated' },
      ],
    });
    const context = ledgerContext({ timeZone: 'America/Chicago', today: '2026-05-12', frequencies: { 'US-TX': 'quarterly', 'US-CA': 'annual' } });
    const keys = Object.fromEntries(entriesForInvoice({ invoice: facts, certificates: [], eventId: 'evt_1' }, context).map((e) => [e.jurisdiction, e.periodKey]));
    expect(keys).toEqual({ 'US-CA': '2026', 'US-NY': '2026-05', 'US-TX': '2026-Q2' });
  });
});
