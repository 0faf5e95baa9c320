import { Button, SettingsView, Select, Switch, TextField } from '@stripe/ui-extension-sdk/ui';
import AppSettingsView from '../../stripe-app/src/views/AppSettingsView';
import type { AccountSettings } from '../../stripe-app/src/api/types';
import { settings, settingsPage } from './support/fixtures';
import { FakeService, ok } from './support/fakeService';
import { renderView, settle, visibleText, waitFor } from './support/render';
import type { Wrapper } from './support/render';

/** A service holding the settings in memory, as PATCH /settings merges them. */
function serviceHolding(initial: AccountSettings): { service: FakeService; stored: () => AccountSettings } {
  let stored = initial;
  const service = new FakeService()
    .on('GET', '/settings', () => ok(stored))
    .on('PATCH', '/settings', (request) => {
      stored = { ...stored, ...(request.body as Partial<AccountSettings>) };
      return ok(stored);
    });
  return { service, stored: () => stored };
}

async function openSettings(service: FakeService): Promise<Wrapper> {
  const wrapper = renderView(AppSettingsView, settingsPage(), service);
  await waitFor(wrapper, () => wrapper.find(TextField, { label: 'Notification email' }) !== null, 'the form');
  return wrapper;
}

const type = (wrapper: Wrapper, label: string, value: string) => wrapper.act(() => wrapper.find(TextField, { label })?.trigger('onChange', { target: { value } }));
const save = (wrapper: Wrapper) => wrapper.act(() => wrapper.find(SettingsView)?.trigger('onSave', {}));

describe('the settings page', () => {
  let service: FakeService;
  afterEach(() => expect(service.violations).toEqual([]));

  test('shows every setting as the service holds it', async () => {
    ({ service } = serviceHolding(settings({ filingFrequencies: { 'US-TX': 'quarterly' }, autoRenewalRequests: true })));
    const wrapper = await openSettings(service);
    expect(wrapper.find(TextField, { label: 'Notification email' })?.prop('value')).toBe('tax@merchant.example');
    expect(wrapper.find(TextField, { label: 'Expiring-soon window (days)' })?.prop('value')).toBe('30');
    expect(wrapper.find(TextField, { label: 'Reminder days' })?.prop('value')).toBe('30, 7');
    expect(wrapper.find(Switch, { label: 'Automatic renewal requests' })?.prop('checked')).toBe(true);
    expect(wrapper.find(Select, { label: 'Sync policy' })?.prop('value')).toBe('approved_only');
    expect(wrapper.find(Select, { label: 'Time zone' })?.prop('value')).toBe('America/Chicago');
    expect(wrapper.find(Select, { label: 'Jurisdiction' })?.prop('value')).toBe('US-TX');
    expect(wrapper.find(Select, { label: 'Files' })?.prop('value')).toBe('quarterly');
  });

  test('saves what changed, and shows what the service then holds', async () => {
    const held = serviceHolding(settings());
    service = held.service;
    const wrapper = await openSettings(service);

    type(wrapper, 'Notification email', 'compliance@merchant.example');
    type(wrapper, 'Expiring-soon window (days)', '45');
    type(wrapper, 'Reminder days', '60, 30, 7');
    wrapper.act(() => wrapper.find(Switch, { label: 'Automatic renewal requests' })?.trigger('onChange', { target: { checked: true } }));
    wrapper.act(() => wrapper.find(Select, { label: 'Sync policy' })?.trigger('onChange', { target: { value: 'record_only' } }));
    wrapper.act(() => wrapper.find(Select, { label: 'Time zone' })?.trigger('onChange', { target: { value: 'America/New_York' } }));
    wrapper.act(() => wrapper.findAll(Button).find((button) => button.text === 'Add a jurisdiction that files quarterly or annually')?.trigger('onPress'));
    wrapper.act(() => wrapper.find(Select, { label: 'Jurisdiction' })?.trigger('onChange', { target: { value: 'US-CA' } }));
    wrapper.act(() => wrapper.find(Select, { label: 'Files' })?.trigger('onChange', { target: { value: 'annual' } }));
    save(wrapper);
    await waitFor(wrapper, () => wrapper.find(SettingsView)?.prop('statusMessage') === 'Saved', 'the save');

    expect(service.calls('PATCH', '/settings').map((call) => call.body)).toEqual([
      {
        merchantNotificationEmail: 'compliance@merchant.example',
        expiringWindowDays: 45,
        reminderDays: [60, 30, 7],
        autoRenewalRequests: true,
        syncPolicy: 'record_only',
        timeZone: 'America/New_York',
        filingFrequencies: { 'US-CA': 'annual' },
      },
    ]);
    expect(held.stored()).toMatchObject({ expiringWindowDays: 45, timeZone: 'America/New_York', businessName: 'Merchant Co' });
    expect(service.toasts).toEqual([{ message: 'Settings saved', kind: 'success' }]);

    // The form now shows what the service holds, read back after the save.
    await settle(wrapper);
    expect(service.calls('GET', '/settings')).toHaveLength(2);
    expect(wrapper.find(TextField, { label: 'Expiring-soon window (days)' })?.prop('value')).toBe('45');
    expect(wrapper.find(TextField, { label: 'Reminder days' })?.prop('value')).toBe('60, 30, 7');
  });

  test('sends nothing when nothing changed', async () => {
    ({ service } = serviceHolding(settings()));
    const wrapper = await openSettings(service);
    save(wrapper);
    await settle(wrapper);
    expect(wrapper.find(SettingsView)?.prop('statusMessage')).toBe('No changes to save');
    expect(service.calls('PATCH', '/settings')).toEqual([]);
  });

  test('turns off notifications when the email is emptied', async () => {
    ({ service } = serviceHolding(settings()));
    const wrapper = await openSettings(service);
    type(wrapper, 'Notification email', '');
    save(wrapper);
    await waitFor(wrapper, () => service.calls('PATCH', '/settings').length > 0, 'the save');
    expect(service.calls('PATCH', '/settings')[0]?.body).toEqual({ merchantNotificationEmail: null });
  });

  test.each([
    ['Notification email', 'not an address', 'enter an email address, or leave it empty to send no notifications'],
    ['Expiring-soon window (days)', '400', 'enter a whole number of days from 0 to 365'],
    ['Reminder days', '30, 30', 'each reminder day appears once'],
    ['Reminder days', 'soon', 'enter days before expiry from 1 to 365, separated by commas, such as 30, 7'],
  ])('refuses %s "%s" next to the field and sends nothing', async (label, value, message) => {
    ({ service } = serviceHolding(settings()));
    const wrapper = await openSettings(service);
    type(wrapper, label, value);
    save(wrapper);
    await settle(wrapper);
    expect(wrapper.find(TextField, { label })?.prop('error')).toBe(message);
    expect(wrapper.find(SettingsView)?.prop('statusMessage')).toBe('Not saved: check the highlighted fields');
    expect(service.calls('PATCH', '/settings')).toEqual([]);
  });

  test('puts the service’s own refusal next to the field it names', async () => {
    ({ service } = serviceHolding(settings()));
    service.on('PATCH', '/settings', { status: 400, body: { error: { message: 'Invalid body: merchantNotificationEmail: Invalid email address', details: [{ field: 'merchantNotificationEmail', message: 'Invalid email address' }] } } });
    const wrapper = await openSettings(service);
    type(wrapper, 'Notification email', 'tax@merchant.invalid-tld-');
    save(wrapper);
    await waitFor(wrapper, () => wrapper.find(SettingsView)?.prop('statusMessage') === 'Not saved', 'the refusal');
    expect(wrapper.find(TextField, { label: 'Notification email' })?.prop('error')).toBe('Invalid email address');
    expect(visibleText(wrapper)).toContain('Please check: Notification email: Invalid email address.');
  });
});
