/** The settings page: the account's settings, edited as a form and saved to the service. */
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { useEffect, useState } from 'react';
import { InvalidRequestError } from '../api/errors';
import type { AccountSettings } from '../api/types';
import { mutationsFor } from '../data/mutations';
import { useQuery } from '../data/queryCache';
import { queryKeys } from '../data/queryKeys';
import { errorsFromProblems } from '../domain/certificateDraft';
import type { FieldErrors } from '../domain/certificateDraft';
import { settingsDraftOf, validateSettings } from '../domain/settingsDraft';
import type { FilingOverrideDraft, SettingsDraft } from '../domain/settingsDraft';
import { useViewData } from './useViewData';

export type SettingsField = Exclude<keyof SettingsDraft, 'filingOverrides'>;

export function useSettingsView(context: ExtensionContextValue) {
  const { api, cache, platform } = useViewData(context);
  const settings = useQuery(cache, queryKeys.settings, () => api.settings());
  const [draft, setDraft] = useState<SettingsDraft | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [statusMessage, setStatusMessage] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const saved: AccountSettings | null = settings.status === 'ready' ? settings.data : null;

  // The form starts from what the service holds, and again after each save.
  useEffect(() => {
    if (saved !== null) setDraft(settingsDraftOf(saved));
  }, [saved]);

  const edit = (change: (current: SettingsDraft) => SettingsDraft, field: string) => {
    setDraft((current) => (current === null ? current : change(current)));
    setErrors((current) => Object.fromEntries(Object.entries(current).filter(([key]) => !key.startsWith(field))));
    setStatusMessage(undefined);
  };

  return {
    settings,
    draft,
    errors,
    error,
    saving,
    statusMessage,
    setField: <K extends SettingsField>(field: K, value: SettingsDraft[K]) => edit((current) => ({ ...current, [field]: value }), field),
    setOverride: (index: number, override: FilingOverrideDraft) =>
      edit((current) => ({ ...current, filingOverrides: current.filingOverrides.map((existing, i) => (i === index ? override : existing)) }), `filingOverrides.${index}`),
    addOverride: () => edit((current) => ({ ...current, filingOverrides: [...current.filingOverrides, { jurisdiction: '', frequency: 'quarterly' }] }), 'filingOverrides'),
    removeOverride: (index: number) => edit((current) => ({ ...current, filingOverrides: current.filingOverrides.filter((_, i) => i !== index) }), 'filingOverrides'),
    save: () => {
      if (draft === null || saved === null) return;
      const checked = validateSettings(draft, saved);
      if (!checked.ok) {
        setErrors(checked.errors);
        setStatusMessage('Not saved: check the highlighted fields');
        return;
      }
      if (Object.keys(checked.value).length === 0) {
        setStatusMessage('No changes to save');
        return;
      }
      setSaving(true);
      setError(null);
      mutationsFor(api, cache)
        .saveSettings(checked.value)
        .then(
          () => {
            setSaving(false);
            setStatusMessage('Saved');
            platform.toast('Settings saved', 'success');
          },
          (failure: unknown) => {
            setSaving(false);
            setStatusMessage('Not saved');
            if (failure instanceof InvalidRequestError) setErrors(errorsFromProblems(failure.problems));
            setError(failure instanceof Error ? failure.message : String(failure));
          },
        );
    },
  };
}
