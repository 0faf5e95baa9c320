/**
 * Every view has its three states written out: a spinner while the service answers, an error
 * that says what went wrong with a way to try again, and an empty state that says what will
 * appear. And a view without a configured backend says so instead of failing silently.
 */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { Banner, ContextView, SettingsView, Spinner } from '@stripe/ui-extension-sdk/ui';
import type { ComponentType } from 'react';
import AppSettingsView from '../../stripe-app/src/views/AppSettingsView';
import CertificatesDrawerView from '../../stripe-app/src/views/CertificatesDrawerView';
import CustomerDetailView from '../../stripe-app/src/views/CustomerDetailView';
import InvoiceDetailView from '../../stripe-app/src/views/InvoiceDetailView';
import { contextFor, customerPage, drawer, invoicePage, settings, settingsPage, summary } from './support/fixtures';
import { deferred, FakeService, ok } from './support/fakeService';
import type { Answer } from './support/fakeService';
import { buttonIn, expectVisible, renderView, settle, visibleText, waitForText } from './support/render';

interface ViewCase {
  readonly name: string;
  readonly View: ComponentType<ExtensionContextValue>;
  readonly context: () => ExtensionContextValue;
  /** The calls the view makes on opening, answered by `answer`. */
  readonly routes: readonly (readonly [string, string])[];
  readonly empty: Readonly<Record<string, Answer>>;
  readonly emptyText: string | null;
}

const cases: readonly ViewCase[] = [
  {
    name: 'the customer page',
    View: CustomerDetailView,
    context: () => customerPage(),
    routes: [['GET', '/customers/cus_Acme/certificates']],
    empty: { '/customers/cus_Acme/certificates': ok({ customerId: 'cus_Acme', status: 'none', data: [] }) },
    emptyText: 'No exemption certificates yet',
  },
  {
    name: 'the drawer',
    View: CertificatesDrawerView,
    context: drawer,
    routes: [
      ['GET', '/certificates'],
      ['GET', '/compliance/summary'],
      ['GET', '/review-queue'],
    ],
    empty: {
      '/certificates': ok({ data: [], nextCursor: null }),
      '/compliance/summary': ok(summary({ byStatus: { active: 0, expiring_soon: 0, not_yet_effective: 0, expired: 0, archived: 0 }, total: 0, exposedInvoices: 0, overCollectedInvoices: 0 })),
      '/review-queue': ok({ data: [], nextCursor: null }),
    },
    emptyText: 'No exemption certificates yet',
  },
  {
    name: 'the invoice page',
    View: InvoiceDetailView,
    context: () => invoicePage(),
    routes: [['GET', '/ledger/entries']],
    empty: { '/ledger/entries': ok({ data: [] }) },
    emptyText: 'Not in the ledger yet',
  },
  {
    name: 'the settings page',
    View: AppSettingsView,
    context: settingsPage,
    routes: [['GET', '/settings']],
    empty: { '/settings': ok(settings()) },
    // Settings always exist (defaults until changed): there is no empty state to show.
    emptyText: null,
  },
];

describe.each(cases)('$name', ({ View, context, routes, empty, emptyText }) => {
  test('shows a spinner while the service answers', async () => {
    const held = deferred();
    const service = new FakeService();
    for (const [method, path] of routes) service.on(method, path, () => held.promise);
    const wrapper = renderView(View, context(), service);
    await settle(wrapper);
    expect(wrapper.find(Spinner)).not.toBeNull();
    held.resolve({ status: 503, body: { error: { message: 'The database is unavailable; try again shortly' } } });
    await settle(wrapper);
  });

  test('says what failed and loads again when asked', async () => {
    const service = new FakeService();
    for (const [method, path] of routes) service.on(method, path, { status: 503, body: { error: { message: 'The database is unavailable; try again shortly' } } });
    const wrapper = renderView(View, context(), service);
    await waitForText(wrapper, 'The certificates service is unavailable right now. Try again in a moment.');
    expect(wrapper.find(Spinner)).toBeNull();

    for (const [method, path] of routes) service.on(method, path, empty[path] ?? ok({}));
    const before = service.requests.length;
    const banner = wrapper.findAll(Banner).find((candidate) => candidate.prop('type') === 'critical');
    buttonIn(wrapper, banner?.prop('actions'), 'Try again').press();
    await settle(wrapper);
    expect(service.requests.length).toBeGreaterThan(before);
    expect(service.violations).toEqual([]);
  });

  if (emptyText !== null) {
    test('says there is nothing yet, and what will appear', async () => {
      const service = new FakeService();
      for (const [method, path] of routes) service.on(method, path, empty[path] ?? ok({}));
      const wrapper = renderView(View, context(), service);
      await waitForText(wrapper, emptyText);
      expect(service.violations).toEqual([]);
    });
  }

  test('says the app has no service configured when the manifest names none', async () => {
    const service = new FakeService();
    const viewport = context().environment.viewportID;
    const wrapper = renderView(View, contextFor(viewport, context().environment.objectContext ?? null, {}), service);
    await waitForText(wrapper, 'set constants.backendUrl in stripe-app.json');
    expect(service.requests).toEqual([]);
  });
});

test('every view is titled for what it shows', () => {
  const service = new FakeService();
  const titles = [CustomerDetailView, CertificatesDrawerView, InvoiceDetailView].map((View, index) => {
    const wrapper = renderView(View, [customerPage(), drawer(), invoicePage()][index] ?? drawer(), service);
    return wrapper.find(ContextView)?.prop('title');
  });
  expect(titles).toEqual(['Exemption certificates', 'Exemption certificates', 'Exemption certificate']);
  expect(renderView(AppSettingsView, settingsPage(), service).find(SettingsView)).not.toBeNull();
  expect(visibleText(renderView(AppSettingsView, settingsPage(), service))).toContain('Loading settings');
  expectVisible(renderView(InvoiceDetailView, invoicePage(), service), 'Loading what the ledger recorded');
});
