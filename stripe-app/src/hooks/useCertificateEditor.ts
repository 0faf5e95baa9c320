/**
 * The state of one certificate form (edit, add, or a reviewer's corrections): the draft, the
 * draft it started from (to know what changed), and the errors shown on its fields.
 */
import { useCallback, useState } from 'react';
import { emptyJurisdiction } from '../domain/certificateDraft';
import type { CertificateDraft, FieldErrors, JurisdictionDraft } from '../domain/certificateDraft';
import { isDirty } from '../domain/certificateDraft';

export type DraftField = Exclude<keyof CertificateDraft, 'jurisdictions'>;

export interface CertificateEditor {
  readonly draft: CertificateDraft;
  readonly initial: CertificateDraft;
  readonly errors: FieldErrors;
  readonly dirty: boolean;
  setField<K extends DraftField>(field: K, value: CertificateDraft[K]): void;
  setJurisdiction(index: number, field: keyof JurisdictionDraft, value: string): void;
  addJurisdiction(): void;
  removeJurisdiction(index: number): void;
  setErrors(errors: FieldErrors): void;
  /** Starts over from `draft` (a freshly loaded certificate): no changes, no errors. */
  reset(draft: CertificateDraft): void;
}

export function useCertificateEditor(start: CertificateDraft): CertificateEditor {
  const [state, setState] = useState<{ draft: CertificateDraft; initial: CertificateDraft; errors: FieldErrors }>({ draft: start, initial: start, errors: {} });

  const update = useCallback((change: (draft: CertificateDraft) => CertificateDraft, clears: string) => {
    // Editing a field clears its error (and the form-wide one): the message was about the old value.
    setState((previous) => {
      // `jurisdictions*` clears every jurisdiction's errors: removing one renumbers the rest.
      const cleared = (key: string) => key === '' || key === clears || (clears.endsWith('*') && key.startsWith(clears.slice(0, -1))) || (clears === 'reason' && key === 'reasonOther');
      const errors = Object.fromEntries(Object.entries(previous.errors).filter(([key]) => !cleared(key)));
      return { ...previous, draft: change(previous.draft), errors };
    });
  }, []);

  return {
    draft: state.draft,
    initial: state.initial,
    errors: state.errors,
    dirty: isDirty(state.draft, state.initial),
    setField: (field, value) => update((draft) => ({ ...draft, [field]: value }), field === 'invoiceNumber' || field === 'poNumber' ? 'purchase.invoiceNumber' : field),
    setJurisdiction: (index, field, value) =>
      update((draft) => ({ ...draft, jurisdictions: draft.jurisdictions.map((j, i) => (i === index ? { ...j, [field]: field === 'code' ? value.toUpperCase() : value } : j)) }), `jurisdictions.${index}.${field}`),
    addJurisdiction: () => update((draft) => ({ ...draft, jurisdictions: [...draft.jurisdictions, emptyJurisdiction] }), 'jurisdictions'),
    removeJurisdiction: (index) => update((draft) => ({ ...draft, jurisdictions: draft.jurisdictions.filter((_, i) => i !== index) }), 'jurisdictions*'),
    setErrors: (errors) => setState((previous) => ({ ...previous, errors })),
    reset: (draft) => setState({ draft, initial: draft, errors: {} }),
  };
}
