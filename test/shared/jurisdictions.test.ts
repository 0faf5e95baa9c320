import fc from 'fast-check';
import { getJurisdiction, isKnownJurisdiction, jurisdictionCode, jurisdictionCodeSchema, jurisdictions } from '../../shared/src/index.js';

describe('jurisdictions', () => {
  it('knows all 50 states, DC, Puerto Rico and the other territories, each under its ISO 3166-2 code', () => {
    expect(jurisdictions.filter((j) => j.kind === 'state')).toHaveLength(50);
    expect(jurisdictions.filter((j) => j.kind === 'district').map((j) => j.code)).toEqual(['US-DC']);
    expect(jurisdictions.filter((j) => j.kind === 'territory').map((j) => j.code).sort()).toEqual(['US-AS', 'US-GU', 'US-MP', 'US-PR', 'US-UM', 'US-VI']);
    for (const j of jurisdictions) {
      expect(j.code).toBe(`${j.country}-${j.region}`);
      expect(j.code).toMatch(/^US-[A-Z]{2}$/);
    }
    expect(new Set(jurisdictions.map((j) => j.code)).size).toBe(jurisdictions.length);
  });

  it('records a statewide sales tax everywhere except Alaska, Delaware, Montana, New Hampshire, Oregon and the territories other than Puerto Rico', () => {
    const without = jurisdictions.filter((j) => !j.hasStatewideSalesTax).map((j) => j.region).sort();
    expect(without).toEqual(['AK', 'AS', 'DE', 'GU', 'MP', 'MT', 'NH', 'OR', 'UM', 'VI']);
    expect(getJurisdiction('US-PR').hasStatewideSalesTax).toBe(true);
  });

  it('finds the jurisdiction of an address whatever the case, spacing or spelling of the region', () => {
    fc.assert(
      fc.property(fc.constantFrom(...jurisdictions), fc.constantFrom('region', 'name', 'code'), fc.boolean(), (j, form, lower) => {
        const raw = form === 'region' ? j.region : form === 'name' ? j.name : j.code;
        const region = ` ${lower ? raw.toLowerCase() : raw} `;
        expect(jurisdictionCode(lower ? ' us' : 'US', region)).toBe(j.code);
        expect(jurisdictionCodeSchema.parse(` ${j.code.toLowerCase()}`)).toBe(j.code);
        expect(isKnownJurisdiction(j.code)).toBe(true);
      }),
    );
  });

  it('maps territory country codes to their jurisdiction and returns null for anything unknown or outside the US', () => {
    expect(jurisdictionCode('PR', 'San Juan')).toBe('US-PR');
    expect(jurisdictionCode('gu', null)).toBe('US-GU');
    expect(jurisdictionCode('CA', 'ON')).toBeNull();
    expect(jurisdictionCode('US', 'ZZ')).toBeNull();
    expect(jurisdictionCode('US', '')).toBeNull();
    expect(jurisdictionCode(null, 'TX')).toBeNull();
    expect(isKnownJurisdiction('us-tx')).toBe(false);
    expect(jurisdictionCodeSchema.safeParse('US-ZZ').error?.issues[0]?.message).toMatch(/unknown jurisdiction "US-ZZ"/);
  });
});
