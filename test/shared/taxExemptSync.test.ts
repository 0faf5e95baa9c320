import fc from 'fast-check';
import { customerJurisdiction, decideTaxExempt, syncPolicies, type TaxExemptValue } from '../../shared/src/index.js';

const value = fc.constantFrom<TaxExemptValue>('none', 'exempt', 'reverse');
const memory = fc.record({ lastSet: fc.option(fc.constantFrom<TaxExemptValue>('none', 'exempt'), { nil: null }), pending: fc.option(fc.constantFrom<TaxExemptValue>('none', 'exempt'), { nil: null }) });
const policy = fc.constantFrom(...syncPolicies);

describe('deciding tax_exempt', () => {
  it('never writes a value the merchant set by hand: reverse, or anything this service did not put there', () => {
    fc.assert(
      fc.property(value, value, memory, policy, (current, wanted, mem, pol) => {
        const decision = decideTaxExempt(current, wanted, mem, pol);
        const ours = current === mem.lastSet || current === mem.pending || (mem.lastSet === null && current === 'none');
        if (decision.action === 'write') {
          expect(ours).toBe(true);
          expect(current).not.toBe('reverse');
          expect(decision.value).toBe(wanted);
        }
        if (current !== wanted && !ours && pol !== 'record_only') expect(decision).toEqual({ action: 'conflict', current, wanted });
      }),
    );
  });

  it('never writes under the record-only policy, and does nothing when Stripe already agrees', () => {
    fc.assert(
      fc.property(value, value, memory, (current, wanted, mem) => {
        expect(decideTaxExempt(current, wanted, mem, 'record_only').action).not.toBe('write');
        expect(decideTaxExempt(wanted, wanted, mem, 'approved_only')).toEqual({ action: 'in_sync' });
      }),
    );
  });

  it('takes back its own exemption when the certificate lapses, but not an exemption the merchant set', () => {
    expect(decideTaxExempt('exempt', 'none', { lastSet: 'exempt', pending: null }, 'approved_only')).toEqual({ action: 'write', value: 'none' });
    expect(decideTaxExempt('exempt', 'none', { lastSet: null, pending: null }, 'approved_only')).toEqual({ action: 'conflict', current: 'exempt', wanted: 'none' });
    expect(decideTaxExempt('none', 'exempt', { lastSet: 'exempt', pending: null }, 'approved_only')).toEqual({ action: 'conflict', current: 'none', wanted: 'exempt' });
  });
});

describe('the jurisdiction a customer is taxed in', () => {
  it('uses the shipping address first, then the billing address', () => {
    expect(customerJurisdiction({ shipping: { country: 'US', state: 'TX' }, address: { country: 'US', state: 'CA' } })).toEqual({ jurisdiction: 'US-TX', source: 'shipping' });
    expect(customerJurisdiction({ shipping: null, address: { country: 'us', state: 'ca' } })).toEqual({ jurisdiction: 'US-CA', source: 'billing' });
    expect(customerJurisdiction({ shipping: null, address: null })).toEqual({ jurisdiction: null, source: null });
    expect(customerJurisdiction({ shipping: null, address: { country: 'DE', state: null } }).jurisdiction).toBeNull();
  });
});
