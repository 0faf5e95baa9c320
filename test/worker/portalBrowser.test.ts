/**
 * The customer portal in a real browser: Debian's Chromium, headless, driven by
 * playwright-core (no browser is downloaded). A customer opens the link from the email the
 * SMTP server received, meets the error state, fills the form, uploads a PDF and sees the
 * confirmation — on a desktop and on a phone-sized screen. axe-core checks the form and the
 * error state; screenshots are saved under test/artifacts/.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import type { Clock } from '../../worker/src/clock.js';
import { repoRoot } from '../../worker/src/paths.js';
import type { Tenant } from '../../worker/src/tenancy.js';
import { ApiClient } from '../support/api.js';
import { testConfig } from '../support/database.js';
import { FakeStripe } from '../support/fakeStripe.js';
import { samplePdf } from '../support/portal.js';
import { startTestService, type TestService } from '../support/service.js';
import { linkIn, TestSmtpServer } from '../support/smtp.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(repoRoot, 'test', 'artifacts');
const merchant: Tenant = { accountId: 'acct_1Browser00000001', livemode: false };
const clock: Clock = { now: () => new Date('2026-05-12T15:00:00Z') };

const desktop: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };
const phone: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function axeViolations(page: Page): Promise<Array<{ id: string; nodes: string[] }>> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

describe('the customer portal in Chromium', () => {
  let smtp: TestSmtpServer;
  let service: TestService;
  let api: ApiClient;
  let browser: Browser;
  const stripe = new FakeStripe()
    .addCustomer(merchant, { id: 'cus_Desk', name: 'Desk Supply', email: 'tax@desk.example', address: { country: 'US', state: 'TX' } })
    .addCustomer(merchant, { id: 'cus_Phone', name: 'Phone Supply', email: 'tax@phone.example', address: { country: 'US', state: 'CA' } });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium), as .ci/run does`);
    await mkdir(ARTIFACTS, { recursive: true });
    smtp = await TestSmtpServer.start();
    // No PUBLIC_URL: links point at the worker's own address, so the browser can follow them as emailed.
    service = await startTestService({ stripe, clock, config: testConfig({ SMTP_URL: smtp.url, PORTAL_SUBMIT_LIMIT: '1000', PORTAL_REQUEST_LIMIT: '1000' }) });
    api = new ApiClient(service.url ?? '', merchant);
    await api.patch('/api/v1/settings', { businessName: 'Widgets & Co' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.dispose();
    await smtp?.stop();
  });

  async function emailedLink(customerId: string, to: string): Promise<string> {
    const created = await api.post<{ id: string }>('/api/v1/certificate-requests', { customerId, message: 'Our records show your certificate is missing.' });
    expect(created.status).toBe(201);
    return linkIn(await smtp.waitFor((e) => e.template === 'request' && e.to.includes(to)));
  }

  async function shot(page: Page, name: string): Promise<void> {
    const file = path.join(ARTIFACTS, `portal-${name}.png`);
    await writeFile(file, await page.screenshot({ fullPage: true }));
  }

  async function runFlow(name: string, options: BrowserContextOptions, customerId: string, to: string, state: string): Promise<void> {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    try {
      const link = await emailedLink(customerId, to);
      const opened = await page.goto(link);
      expect(opened?.status()).toBe(200);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Widgets & Co asks for your exemption certificate');
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `${name}-form`);

      // Sent empty: every problem named at the top and beside its field, nothing lost.
      await page.getByLabel('Certificate or permit number').fill('KEEP-ME-123');
      // A form post is a navigation: wait for the answer page, not for the page already loaded.
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Send certificate' }).click()]);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('Exemption reason: choose the reason for the exemption');
      expect(await page.getByLabel('Certificate or permit number').inputValue()).toBe('KEEP-ME-123');
      expect(await page.getByLabel('Exemption reason').getAttribute('aria-invalid')).toBe('true');
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `${name}-errors`);

      // Filled in as a customer would, partly from the keyboard alone.
      await page.getByLabel('Exemption reason').selectOption('resale');
      await page.getByLabel('Certificate form').focus();
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('number');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('RESALE-2026-001');
      await page.getByLabel('Certificate form').selectOption('sst_multistate');
      const fieldset = page.getByRole('group', { name: state });
      await fieldset.getByLabel('Registration or permit number in this state').fill('REG-55');
      await fieldset.getByLabel('Effective date').fill('2026-05-01');
      await fieldset.getByLabel('Expiration date').fill('2029-12-31');
      await page.getByLabel('Name of the person who signed').fill('Grace Hopper');
      await page.getByLabel('Their title').fill('Controller');
      await page.getByLabel('Signed certificate').setInputFiles({ name: 'signed.pdf', mimeType: 'application/pdf', buffer: samplePdf() });
      await page.getByRole('button', { name: 'Send certificate' }).focus();
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Thank you, your certificate was sent');
      await shot(page, `${name}-confirmation`);

      // A phone must not need sideways scrolling.
      // (A string: the test compiles without the DOM's types; the page evaluates it.)
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow).toBeLessThanOrEqual(0);

      const queue = await api.get<{ data: Array<{ customer: { id: string }; submission: { number: string; form: string; signerName: string } }> }>('/api/v1/review-queue');
      expect(queue.body.data.find((r) => r.customer.id === customerId)?.submission).toMatchObject({ number: 'RESALE-2026-001', form: 'sst_multistate', signerName: 'Grace Hopper' });

      // The link is spent: opening it again shows the page that reveals nothing.
      const again = await page.goto(link);
      expect(again?.status()).toBe(404);
    } finally {
      await context.close();
    }
  }

  it('takes a customer from the emailed link to the confirmation on a desktop screen, with no axe-core violations on the form or its error state', async () => {
    await runFlow('desktop', desktop, 'cus_Desk', 'tax@desk.example', 'Texas');
  }, 60_000);

  it('does the same on a phone-sized screen', async () => {
    await runFlow('phone', phone, 'cus_Phone', 'tax@phone.example', 'California');
  }, 60_000);
});
