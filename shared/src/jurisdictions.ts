import * as z from 'zod';
import { DomainError } from './errors.js';

export type JurisdictionKind = 'state' | 'district' | 'territory';

/**
 * A US taxing jurisdiction at the state level, named by its ISO 3166-2 code
 * (`US-TX`) so that every document and ledger key spells it the same way.
 */
export interface Jurisdiction {
  readonly code: `US-${string}`;
  readonly country: 'US';
  readonly region: string;
  readonly name: string;
  readonly kind: JurisdictionKind;
  /**
   * Whether a general sales (or sales-and-use) tax is levied jurisdiction-wide.
   * A certificate for a place without one is legal to keep, but will rarely
   * change what is charged; the UI can say so.
   */
  readonly hasStatewideSalesTax: boolean;
}

function state(region: string, name: string, hasStatewideSalesTax = true) {
  return { code: `US-${region}`, country: 'US', region, name, kind: 'state', hasStatewideSalesTax } as const;
}

export const jurisdictions = [
  state('AL', 'Alabama'),
  // No state sales tax, but many boroughs and cities levy one, and the Alaska
  // Remote Seller Sales Tax Commission collects it for remote sellers, so
  // exemption certificates are still used there.
  state('AK', 'Alaska', false),
  state('AZ', 'Arizona'),
  state('AR', 'Arkansas'),
  state('CA', 'California'),
  state('CO', 'Colorado'),
  state('CT', 'Connecticut'),
  state('DE', 'Delaware', false),
  state('FL', 'Florida'),
  state('GA', 'Georgia'),
  // The general excise tax is legally on the seller, but it is passed on to
  // buyers like a sales tax and Hawaii issues its own resale certificates.
  state('HI', 'Hawaii'),
  state('ID', 'Idaho'),
  state('IL', 'Illinois'),
  state('IN', 'Indiana'),
  state('IA', 'Iowa'),
  state('KS', 'Kansas'),
  state('KY', 'Kentucky'),
  state('LA', 'Louisiana'),
  state('ME', 'Maine'),
  state('MD', 'Maryland'),
  state('MA', 'Massachusetts'),
  state('MI', 'Michigan'),
  state('MN', 'Minnesota'),
  state('MS', 'Mississippi'),
  state('MO', 'Missouri'),
  // Montana has no general sales tax (only local resort taxes).
  state('MT', 'Montana', false),
  state('NE', 'Nebraska'),
  state('NV', 'Nevada'),
  state('NH', 'New Hampshire', false),
  state('NJ', 'New Jersey'),
  // New Mexico's gross receipts tax, like Hawaii's, is treated as a sales tax.
  state('NM', 'New Mexico'),
  state('NY', 'New York'),
  state('NC', 'North Carolina'),
  state('ND', 'North Dakota'),
  state('OH', 'Ohio'),
  state('OK', 'Oklahoma'),
  state('OR', 'Oregon', false),
  state('PA', 'Pennsylvania'),
  state('RI', 'Rhode Island'),
  state('SC', 'South Carolina'),
  state('SD', 'South Dakota'),
  state('TN', 'Tennessee'),
  state('TX', 'Texas'),
  state('UT', 'Utah'),
  state('VT', 'Vermont'),
  state('VA', 'Virginia'),
  state('WA', 'Washington'),
  state('WV', 'West Virginia'),
  state('WI', 'Wisconsin'),
  state('WY', 'Wyoming'),
  { code: 'US-DC', country: 'US', region: 'DC', name: 'District of Columbia', kind: 'district', hasStatewideSalesTax: true },
  // Puerto Rico levies the sales and use tax (IVU): a commonwealth rate plus a
  // municipal rate, with its own resale and exemption certificates.
  { code: 'US-PR', country: 'US', region: 'PR', name: 'Puerto Rico', kind: 'territory', hasStatewideSalesTax: true },
  // The other territories tax the seller's gross receipts instead (Guam's
  // business privilege tax, the Northern Mariana Islands' business gross
  // revenue tax, the Virgin Islands' gross receipts tax) and import excise
  // taxes; American Samoa has excise taxes only; the Minor Outlying Islands
  // have no resident tax system. None is a sales tax a buyer's certificate
  // exempts, so all are recorded as without one.
  { code: 'US-AS', country: 'US', region: 'AS', name: 'American Samoa', kind: 'territory', hasStatewideSalesTax: false },
  { code: 'US-GU', country: 'US', region: 'GU', name: 'Guam', kind: 'territory', hasStatewideSalesTax: false },
  { code: 'US-MP', country: 'US', region: 'MP', name: 'Northern Mariana Islands', kind: 'territory', hasStatewideSalesTax: false },
  { code: 'US-VI', country: 'US', region: 'VI', name: 'U.S. Virgin Islands', kind: 'territory', hasStatewideSalesTax: false },
  { code: 'US-UM', country: 'US', region: 'UM', name: 'U.S. Minor Outlying Islands', kind: 'territory', hasStatewideSalesTax: false },
] as const satisfies readonly Jurisdiction[];

export type JurisdictionCode = (typeof jurisdictions)[number]['code'];

export const jurisdictionCodes = jurisdictions.map((j) => j.code) as [JurisdictionCode, ...JurisdictionCode[]];

const byCode: ReadonlyMap<string, Jurisdiction> = new Map(jurisdictions.map((j) => [j.code, j]));

function nameKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z]/g, '');
}

const byRegionOrName: ReadonlyMap<string, JurisdictionCode> = new Map(
  jurisdictions.flatMap((j) => [
    [j.region, j.code],
    [nameKey(j.name), j.code],
  ]),
);

/**
 * ISO 3166-1 gives the territories country codes of their own, and addresses
 * (Stripe's included) often use them: `{ country: 'PR' }` rather than
 * `{ country: 'US', state: 'PR' }`.
 */
const territoryCountries: ReadonlySet<string> = new Set(
  jurisdictions.filter((j) => j.kind === 'territory').map((j) => j.region),
);

export function isKnownJurisdiction(code: string): code is JurisdictionCode {
  return byCode.has(code);
}

export class UnknownJurisdictionError extends DomainError {
  override readonly name = 'UnknownJurisdictionError';
  constructor(readonly code: string) {
    super(`unknown jurisdiction ${JSON.stringify(code)}`);
  }
}

export function getJurisdiction(code: string): Jurisdiction {
  const found = byCode.get(code);
  if (found === undefined) throw new UnknownJurisdictionError(code);
  return found;
}

/**
 * The jurisdiction of an address's country and state/region, or null when it
 * is not one we know (including every non-US address). Case and surrounding
 * space are ignored; the region may be a postal code (`tx`), an ISO code
 * (`US-TX`) or a name (`Texas`).
 */
export function jurisdictionCode(
  country: string | null | undefined,
  region: string | null | undefined,
): JurisdictionCode | null {
  const countryKey = (country ?? '').trim().toUpperCase();
  if (territoryCountries.has(countryKey)) return `US-${countryKey}` as JurisdictionCode;
  if (countryKey !== 'US') return null;
  const regionKey = (region ?? '').trim().toUpperCase().replace(/^US-/, '');
  if (regionKey === '') return null;
  return byRegionOrName.get(regionKey) ?? byRegionOrName.get(nameKey(regionKey)) ?? null;
}

export const jurisdictionCodeSchema = z
  .string()
  .trim()
  .toUpperCase()
  .pipe(
    z.enum(jurisdictionCodes, {
      error: (issue) =>
        `unknown jurisdiction ${JSON.stringify(issue.input)}: expected an ISO 3166-2 code of a US state, DC or territory, such as US-TX`,
    }),
  );
