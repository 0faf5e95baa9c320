import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { jurisdictions, periodFrequencies } from '@exemptions/shared';
import type { PeriodFrequency, SyncPolicy } from '@exemptions/shared';
import { Banner, Box, Button, FormFieldGroup, Select, SettingsView, Switch, TextField } from '@stripe/ui-extension-sdk/ui';
import { ErrorState } from '../components/ErrorState';
import { LoadingState } from '../components/LoadingState';
import { useSettingsView } from '../hooks/useSettingsView';

const SYNC_POLICIES: Record<SyncPolicy, string> = {
  approved_only: 'Exempt only with an approved certificate',
  include_pending: 'Also while a submission awaits review',
  record_only: 'Record only: never change Stripe',
};

const FREQUENCIES: Record<PeriodFrequency, string> = { monthly: 'Monthly', quarterly: 'Quarterly', annual: 'Annual' };

/** Every IANA zone the browser knows, with the current one first in case the browser lacks it. */
function timeZones(current: string): string[] {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [...new Set([current, 'UTC', ...known])];
}

/** Viewport `settings`: the account's notification, expiry, reminder, sync and filing settings. */
const AppSettingsView = (context: ExtensionContextValue) => {
  const view = useSettingsView(context);
  const { draft, errors } = view;
  return (
    <SettingsView onSave={view.save} statusMessage={view.saving ? 'Saving…' : view.statusMessage}>
      {view.settings.status === 'error' ? (
        <ErrorState title="Settings could not be loaded" error={view.settings.error} onRetry={view.settings.reload} />
      ) : draft === null ? (
        <LoadingState label="Loading settings…" />
      ) : (
        <Box css={{ stack: 'y', gap: 'xlarge' }}>
          {view.error === null ? null : <Banner type="critical" description={view.error} />}
          <FormFieldGroup legend="Notifications" layout="vertical">
            <TextField
              label="Notification email"
              type="email"
              description="Submissions to review and the daily digest of expiring certificates go here. Leave empty to send neither."
              value={draft.merchantNotificationEmail}
              error={errors.merchantNotificationEmail}
              onChange={(event) => view.setField('merchantNotificationEmail', event.target.value)}
            />
            <TextField
              label="Business name"
              description="Who is asking, as customers see it in requests and emails."
              value={draft.businessName}
              error={errors.businessName}
              onChange={(event) => view.setField('businessName', event.target.value)}
            />
          </FormFieldGroup>
          <FormFieldGroup legend="Expiry and reminders" layout="vertical">
            <TextField
              label="Expiring-soon window (days)"
              description="A certificate is expiring soon this many days before it expires."
              value={draft.expiringWindowDays}
              error={errors.expiringWindowDays}
              onChange={(event) => view.setField('expiringWindowDays', event.target.value)}
            />
            <TextField
              label="Reminder days"
              description="Days before expiry on which the customer is reminded, separated by commas."
              value={draft.reminderDays}
              error={errors.reminderDays}
              onChange={(event) => view.setField('reminderDays', event.target.value)}
            />
            <Switch
              label="Automatic renewal requests"
              description="At the first reminder, send the customer a request for a renewed certificate instead."
              checked={draft.autoRenewalRequests}
              onChange={(event) => view.setField('autoRenewalRequests', event.target.checked)}
            />
            <TextField
              label="Request links work for (days)"
              value={draft.requestLinkDays}
              error={errors.requestLinkDays}
              onChange={(event) => view.setField('requestLinkDays', event.target.value)}
            />
          </FormFieldGroup>
          <FormFieldGroup legend="Stripe and the ledger" layout="vertical">
            <Select
              label="Sync policy"
              description="When this app may set a customer's tax-exempt status in Stripe."
              value={draft.syncPolicy}
              error={errors.syncPolicy}
              onChange={(event) => view.setField('syncPolicy', event.target.value as SyncPolicy)}
            >
              {(Object.keys(SYNC_POLICIES) as SyncPolicy[]).map((policy) => (
                <option key={policy} value={policy}>
                  {SYNC_POLICIES[policy]}
                </option>
              ))}
            </Select>
            <Select
              label="Time zone"
              description="Certificate dates and filing periods are days in this zone."
              value={draft.timeZone}
              error={errors.timeZone}
              onChange={(event) => view.setField('timeZone', event.target.value)}
            >
              {timeZones(draft.timeZone).map((zone) => (
                <option key={zone} value={zone}>
                  {zone}
                </option>
              ))}
            </Select>
          </FormFieldGroup>
          <FormFieldGroup legend="Filing frequency" description="Periods are monthly unless a jurisdiction files less often." layout="vertical">
            {draft.filingOverrides.map((override, index) => (
              <Box key={index} css={{ stack: 'x', gap: 'small', alignY: 'bottom' }}>
                <Select
                  label="Jurisdiction"
                  value={override.jurisdiction}
                  error={errors[`filingOverrides.${index}.jurisdiction`]}
                  onChange={(event) => view.setOverride(index, { ...override, jurisdiction: event.target.value })}
                >
                  <option value="">Choose a state or territory</option>
                  {jurisdictions.map((j) => (
                    <option key={j.code} value={j.code}>
                      {`${j.name} (${j.code})`}
                    </option>
                  ))}
                </Select>
                <Select
                  label="Files"
                  value={override.frequency}
                  error={errors[`filingOverrides.${index}.frequency`]}
                  onChange={(event) => view.setOverride(index, { ...override, frequency: event.target.value as PeriodFrequency })}
                >
                  {periodFrequencies.map((frequency) => (
                    <option key={frequency} value={frequency}>
                      {FREQUENCIES[frequency]}
                    </option>
                  ))}
                </Select>
                <Button size="small" onPress={() => view.removeOverride(index)}>
                  Remove
                </Button>
              </Box>
            ))}
            <Button size="small" onPress={view.addOverride}>
              Add a jurisdiction that files quarterly or annually
            </Button>
          </FormFieldGroup>
        </Box>
      )}
    </SettingsView>
  );
};

export default AppSettingsView;
