/**
 * The seven steps of the demo, each through the worker's real HTTP surface: the signed API the
 * Stripe App uses, Stripe's webhook, the customer portal and the development outbox. Each step
 * prints what it did and what the worker answered; anything unexpected throws.
 */
import yauzl from 'yauzl';
import type { CertificateStatus } from '@exemptions/shared';
import { DemoError, latestEmail, openPortal, portalPathIn, sendStripeEvent, submitPortal, waitFor, type DemoApi } from './demoClient.js';
import { customers, DEMO_TIME_ZONE, invoices, noonOn, seedCertificates, stripeInvoice, TEXAS_RATE, type DemoDates, type DemoInvoice } from './demoData.js';
import { demoPdf } from './demoPdf.js';
import type { FakeStripeApi } from './fakeStripeApi.js';
import { money, say, table } from './print.js';

interface Certificate {
  id: string;
  customer: { id: string; name: string | null };
  status: CertificateStatus;
  jurisdictions: Array<{ code: string; effectiveDate: string; expirationDate: string | null }>;
  files: Array<{ filename: string }>;
}
interface Entry {
  id: string;
  invoiceId: string;
  customerId: string;
  jurisdiction: string | null;
  transactionDate: string;
  periodKey: string;
  kind: string;
  currency: string;
  taxable: number;
  exempt: number;
  tax: number;
  flags: { exposure: boolean; overCollection: boolean };
  certificate: { id: string } | null;
}
interface CertificateRequest {
  id: string;
  email: string;
  status: string;
  jurisdictions: string[];
}
interface Run {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';
  total: number;
  processed: number;
  changed: number;
  error: string | null;
}
interface Preview {
  summary: { transactions: number; changes: number; inOpenPeriods: number; inFiledPeriods: number; refundByCurrency: Record<string, number>; warnings: string[] };
}
interface PeriodList {
  data: Array<{ jurisdiction: string | null; currentOpenPeriod: string; periods: Array<{ periodKey: string; status: string; totals: Array<{ currency: string; taxable: number; exempt: number; tax: number }> }> }>;
}
interface ComplianceSummary {
  today: string;
  byStatus: Record<CertificateStatus, number>;
  total: number;
  expiring: Array<{ withinDays: number; count: number }>;
  pendingSubmissions: number;
  outstandingRequests: number;
  exposedInvoices: number;
  overCollectedInvoices: number;
}

export interface StoryContext {
  readonly api: DemoApi;
  readonly workerUrl: string;
  readonly webhookSecret: string;
  readonly stripe: FakeStripeApi;
  readonly accountId: string;
  readonly dates: DemoDates;
}

const customerName = new Map<string, string>(Object.values(customers).map((c) => [c.id, c.name]));
const nameOf = (customerId: string) => customerName.get(customerId) ?? customerId;

export class DemoStory {
  private requestId = '';
  private approvedCertificateId = '';

  constructor(private readonly ctx: StoryContext) {}

  /** 1. The merchant's settings, six customers in Stripe, five certificates in five states. */
  async seed(): Promise<void> {
    const { api, stripe, accountId, dates } = this.ctx;
    await api.patch('/settings', { businessName: 'Demo Supply Co', timeZone: DEMO_TIME_ZONE, merchantNotificationEmail: 'compliance@demo-supply.example' });
    stripe.addTaxRate(accountId, TEXAS_RATE);
    for (const customer of Object.values(customers)) stripe.addCustomer(accountId, customer);
    say(`Merchant "Demo Supply Co" (time zone ${DEMO_TIME_ZONE}, today ${dates.today}), ${Object.keys(customers).length} customers in Stripe.`);

    const rows: Array<Array<string | null>> = [];
    for (const seed of seedCertificates(dates)) {
      let certificate = await api.post<Certificate>('/certificates', seed.body);
      if (seed.file !== null) {
        const pdf = demoPdf([`Texas Sales and Use Tax Resale Certificate`, `Purchaser: ${seed.customer.name}`, `Seller: Demo Supply Co`, 'Signed for the demo']);
        certificate = (await api.upload<{ certificate: Certificate }>(`/certificates/${certificate.id}/files/upload`, pdf, seed.file)).certificate;
      }
      if (seed.archiveReason !== null) certificate = await api.post<Certificate>(`/certificates/${certificate.id}/archive`, { reason: seed.archiveReason });
      const j = certificate.jurisdictions[0];
      rows.push([seed.customer.name, j?.code ?? null, `${j?.effectiveDate ?? ''} → ${j?.expirationDate ?? 'no expiry'}`, certificate.status, certificate.files[0]?.filename ?? null, seed.shows]);
    }
    rows.push([customers.north.name, null, null, 'none', null, 'no certificate yet: asked for one in step 4']);
    table(['customer', 'state', 'valid', 'status', 'file', 'shows'], rows);
  }

  /** 2. Draft and finalized invoices, as Stripe sends them to the webhook, signed with the webhook secret. */
  async sendInvoices(): Promise<void> {
    const { stripe, accountId, dates } = this.ctx;
    const sent: Array<Array<string | number>> = [];
    for (const invoice of invoices) {
      const day = invoice.day === 'today' ? dates.today : dates.lastMonthInvoiceDay;
      // Today's invoices went out a minute ago (noon may still be ahead); last month's at noon on the 15th.
      const finalizedAt = invoice.day === 'today' ? Math.floor(Date.now() / 1000) - 60 : noonOn(day);
      if (invoice.draftFirst) await this.draftCreated(invoice);
      // Stripe freezes the customer's tax_exempt onto the invoice when it is finalized.
      const taxExempt = invoice.finalizedAs ?? stripe.taxExemptOf(accountId, invoice.customer.id);
      const finalized = stripeInvoice(invoice, 'open', taxExempt, finalizedAt);
      stripe.addInvoice(accountId, finalized);
      await this.event('invoice.finalized', finalized);
      await waitFor(`the ledger entry of ${invoice.id}`, async () => ((await this.entries(`invoiceId=${invoice.id}`)).length > 0 ? true : null));
      sent.push([invoice.id, nameOf(invoice.customer.id), day, money(invoice.amount), taxExempt, money(Number(finalized.total) - invoice.amount), invoice.shows]);
    }
    table(['invoice', 'customer', 'finalized', 'amount', 'tax_exempt', 'tax', 'what it shows'], sent, ['amount', 'tax']);
    say('');
    say('What the worker wrote to Stripe meanwhile (recorded by the demo’s fake Stripe API):');
    table(
      ['call', 'object', 'parameters'],
      stripe.writes(accountId).map((call) => [`POST ${call.path.split('/').slice(0, 3).join('/')}`, call.path.split('/')[3] ?? '', Object.entries(call.params).map(([k, v]) => `${k}=${v}`).join(' ')]),
    );
    const conflicts = await this.ctx.api.get<{ data: Array<{ customerId: string; current: string; wanted: string }> }>('/coverage/conflicts');
    for (const conflict of conflicts.data) {
      say(`Left alone: ${nameOf(conflict.customerId)} is tax_exempt=${conflict.current} in Stripe by hand; its certificates say ${conflict.wanted} (GET /coverage/conflicts).`);
    }
  }

  /** invoice.created for a draft: the worker re-checks the customer's tax_exempt and tags the draft with the certificate applied. */
  private async draftCreated(invoice: DemoInvoice): Promise<void> {
    const { stripe, accountId } = this.ctx;
    const draft = stripeInvoice(invoice, 'draft', stripe.taxExemptOf(accountId, invoice.customer.id), null);
    stripe.addInvoice(accountId, draft);
    const writesBefore = stripe.writes(accountId).length;
    await this.event('invoice.created', draft);
    await waitFor(`the worker to tag draft ${invoice.id}`, async () =>
      stripe.writes(accountId).slice(writesBefore).some((call) => call.path === `/v1/invoices/${invoice.id}`) ? true : null,
    );
  }

  /** 3. Files last month's Texas return: its entries are final, later corrections land in an open period. */
  async filePeriod(): Promise<void> {
    const { api, dates } = this.ctx;
    const filed = await api.post<{ periodKey: string; filedAt: string }>('/periods/file', { jurisdiction: 'US-TX', periodKey: dates.lastMonthKey });
    say(`Filed US-TX ${filed.periodKey} at ${filed.filedAt}.`);
    const periods = await api.get<PeriodList>('/periods?jurisdiction=US-TX');
    const texas = periods.data[0];
    table(
      ['period', 'status', 'taxable', 'exempt', 'tax'],
      (texas?.periods ?? []).map((p) => [p.periodKey, p.status, money(p.totals[0]?.taxable ?? 0), money(p.totals[0]?.exempt ?? 0), money(p.totals[0]?.tax ?? 0)]),
      ['taxable', 'exempt', 'tax'],
    );
    say(`Current open period: ${texas?.currentOpenPeriod ?? '—'}.`);
  }

  /** 4. Asks Northwind for a certificate; the customer answers through the emailed link. */
  async requestAndAnswer(): Promise<void> {
    const { api, workerUrl, dates } = this.ctx;
    const request = await api.post<CertificateRequest>('/certificate-requests', { customerId: customers.north.id, message: 'Please send your Texas resale certificate.' });
    this.requestId = request.id;
    say(`Request ${request.id} sent to ${request.email} for ${request.jurisdictions.join(', ')} (status ${request.status}).`);

    const email = await waitFor('the request email in the outbox', () => latestEmail(workerUrl, request.email, 'request'));
    const path = portalPathIn(email.text);
    say(`Outbox: "${email.subject}" → link ${path.replace(/[^/]+$/, '<token>')}`);
    await openPortal(workerUrl, path);
    say(`The customer opens the link: status ${(await api.get<CertificateRequest>(`/certificate-requests/${request.id}`)).status}.`);

    const form = demoPdf(['Texas Sales and Use Tax Resale Certificate', `Purchaser: ${customers.north.name}`, 'Seller: Demo Supply Co', 'Signed: Ada Park, Purchasing manager']);
    await submitPortal(
      workerUrl,
      path,
      {
        reason: 'resale',
        reasonOther: '',
        form: 'single_state',
        number: 'TX-RS-88120',
        j0_code: 'US-TX',
        j0_registrationId: '32088120001',
        j0_effectiveDate: dates.lastMonthStart,
        j0_expirationDate: '',
        signerName: 'Ada Park',
        signerTitle: 'Purchasing manager',
      },
      { bytes: form, filename: 'northwind-resale-certificate.pdf', type: 'application/pdf' },
    );
    const submitted = await api.get<CertificateRequest>(`/certificate-requests/${request.id}`);
    say(`The customer submits the form with a signed PDF, effective ${dates.lastMonthStart}: status ${submitted.status}.`);
    if (submitted.status !== 'submitted') throw new DemoError(`the request is ${submitted.status} after the portal submission, not submitted`);
  }

  /** 5. The merchant approves the submission: a certificate, and Stripe's tax_exempt follows. */
  async approve(): Promise<void> {
    const { api, stripe, accountId } = this.ctx;
    const queue = await api.get<{ data: CertificateRequest[] }>('/review-queue');
    say(`Review queue: ${queue.data.length} submission(s).`);
    const approved = await api.post<{ request: CertificateRequest; certificate: Certificate }>(`/certificate-requests/${this.requestId}/approve`, {});
    this.approvedCertificateId = approved.certificate.id;
    say(`Approved: certificate ${approved.certificate.id} (${approved.certificate.status}), file ${approved.certificate.files[0]?.filename ?? '—'}.`);
    await waitFor(`Stripe's tax_exempt for ${customers.north.name} to become exempt`, async () => (stripe.taxExemptOf(accountId, customers.north.id) === 'exempt' ? true : null));
    say(`Stripe now has ${customers.north.name} as tax_exempt=exempt; the approval email is in the outbox.`);
  }

  /** 6. Applies the new certificate to Northwind's past invoices: preview, acknowledge, run, follow. */
  async reprocess(): Promise<void> {
    const { api, dates } = this.ctx;
    const range = { startDate: dates.lastMonthStart, endDate: dates.today };
    const preview = await api.post<Preview>(`/certificates/${this.approvedCertificateId}/reprocess/preview`, range);
    const s = preview.summary;
    say(`Preview ${range.startDate} → ${range.endDate}: ${s.transactions} transaction(s), ${s.changes} to change (${s.inOpenPeriods} in open periods, ${s.inFiledPeriods} in filed ones).`);
    say(`Refund due: ${Object.entries(s.refundByCurrency).map(([currency, amount]) => money(amount, currency)).join(', ') || 'none'}. Warnings to acknowledge: ${s.warnings.join(', ') || 'none'}.`);
    const started = await api.post<Run>(`/certificates/${this.approvedCertificateId}/reprocess`, { ...range, acknowledgedWarnings: s.warnings });
    say(`Run ${started.id} ${started.status}.`);
    let shown = '';
    const run = await waitFor(`reprocess run ${started.id} to finish`, async () => {
      const current = await api.get<Run>(`/reprocess/${started.id}`);
      const progress = `${current.status}: ${current.processed}/${current.total} processed, ${current.changed} changed`;
      if (progress !== shown) say(`  ${progress}`);
      shown = progress;
      return ['completed', 'cancelled', 'failed'].includes(current.status) ? current : null;
    });
    if (run.status !== 'completed') throw new DemoError(`reprocess run ${run.id} ended ${run.status}${run.error === null ? '' : `: ${run.error}`}`);
  }

  /** 7. The ledger as it stands, and the compliance summary. */
  async report(): Promise<void> {
    const { api } = this.ctx;
    const entries = await this.entries('');
    table(
      ['entry', 'customer', 'date', 'period', 'kind', 'taxable', 'exempt', 'tax', 'flag', 'certificate'],
      entries.map((e) => [
        e.id,
        nameOf(e.customerId),
        e.transactionDate,
        e.periodKey,
        e.kind,
        money(e.taxable, e.currency),
        money(e.exempt, e.currency),
        money(e.tax, e.currency),
        e.flags.exposure ? 'EXPOSURE' : e.flags.overCollection ? 'OVER-COLLECTED' : null,
        e.certificate?.id ?? null,
      ]),
      ['taxable', 'exempt', 'tax'],
    );
    const summary = await api.get<ComplianceSummary>('/compliance/summary');
    say('');
    say(`Compliance summary for ${summary.today}:`);
    table(
      ['measure', 'count'],
      [
        ...Object.entries(summary.byStatus).map(([status, count]): [string, number] => [`certificates ${status}`, count]),
        ['certificates in all', summary.total],
        ...summary.expiring.map((e): [string, number] => [`expiring within ${e.withinDays} days`, e.count]),
        ['submissions waiting for review', summary.pendingSubmissions],
        ['requests waiting on a customer', summary.outstandingRequests],
        ['invoices flagged for exposure', summary.exposedInvoices],
        ['invoices flagged for over-collection', summary.overCollectedInvoices],
      ],
    );
  }

  /** The evidence for one customer, as an auditor gets it: GET /audit-package, unzipped here. */
  async auditPackage(): Promise<void> {
    const zip = await this.ctx.api.download(`/audit-package?customerId=${customers.north.id}`);
    const names = await zipEntryNames(zip);
    say(`Audit package for ${customers.north.name}: ${zip.length} bytes, ${names.length} files:`);
    for (const name of names) say(`  ${name}`);
  }

  private async event(type: string, object: Record<string, unknown>): Promise<void> {
    await sendStripeEvent(this.ctx.workerUrl, this.ctx.webhookSecret, this.ctx.accountId, type, object);
  }

  private async entries(query: string): Promise<Entry[]> {
    return (await this.ctx.api.get<{ data: Entry[] }>(`/ledger/entries${query === '' ? '' : `?${query}`}`)).data;
  }
}

async function zipEntryNames(bytes: Buffer): Promise<string[]> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
  const names: string[] = [];
  for await (const entry of zip.eachEntry()) names.push(entry.fileName);
  return names;
}
