/**
 * The certificate panel (one FocusView) and everything done in it: review a certificate, edit
 * it, archive it, ask the customer for a new one, reprocess its transactions, upload its
 * signed file, or add a certificate. One mode at a time; the customer page, the drawer and
 * the invoice page all open the same panel.
 */
import { useState } from 'react';
import type { CertificatesApi } from '../api/certificatesApi';
import { InvalidRequestError, VersionConflictError } from '../api/errors';
import type { CertificateDetail, CertificateView } from '../api/types';
import { mutationsFor } from '../data/mutations';
import type { QueryCache } from '../data/queryCache';
import { useQuery } from '../data/queryCache';
import type { Query } from '../data/queryCache';
import { queryKeys } from '../data/queryKeys';
import { draftOf, emptyDraft, errorsFromProblems, validateCreate, validateEdit } from '../domain/certificateDraft';
import type { FieldErrors } from '../domain/certificateDraft';
import { offersRenewal } from '../domain/requestRules';
import type { Platform } from '../platform';
import { useCertificateEditor } from './useCertificateEditor';
import { useFileLinks } from './useFileLinks';
import type { FileLinks } from './useFileLinks';
import type { CertificateEditor } from './useCertificateEditor';
import { useReprocessWizard } from './useReprocessWizard';
import type { ReprocessWizard } from './useReprocessWizard';

export type PanelMode =
  | { readonly mode: 'closed' }
  | { readonly mode: 'review' | 'edit' | 'archive' | 'reprocess' | 'upload'; readonly certificateId: string }
  | { readonly mode: 'request'; readonly customerId: string; readonly email: string | null; readonly renewsCertificateId: string | null }
  | { readonly mode: 'create'; readonly customerId: string };

/** An edit refused because someone else saved first: the message, and the version to reload. */
export interface ConflictNotice {
  readonly message: string;
  readonly current: CertificateView | null;
}

export interface RequestForm {
  readonly email: string;
  readonly message: string;
  readonly errors: FieldErrors;
}

export type OptionId = 'edit' | 'archive' | 'request' | 'reprocess' | 'upload';

export interface CertificatePanel {
  readonly panel: PanelMode;
  readonly detail: Query<CertificateDetail> | null;
  readonly editor: CertificateEditor;
  readonly wizard: ReprocessWizard;
  readonly pending: boolean;
  /** The last action's failure, as a sentence for a banner. */
  readonly error: string | null;
  readonly conflict: ConflictNotice | null;
  /** The merchant pressed Cancel with unsaved changes: ask before dropping them. */
  readonly confirmingDiscard: boolean;
  readonly archiveReason: string;
  readonly requestForm: RequestForm;
  readonly uploadedFile: string | null;
  /** Links that open the certificate's stored files in a new tab. */
  readonly fileLinks: FileLinks;
  /** What the options menu offers for the certificate under review. */
  readonly options: readonly OptionId[];
  readonly deps: { readonly api: CertificatesApi; readonly mutations: ReturnType<typeof mutationsFor>; readonly cache: QueryCache; readonly platform: Platform };

  openCertificate(certificateId: string): void;
  openCreate(customerId: string): void;
  openRequest(customerId: string, email: string | null, renewsCertificateId?: string): void;
  choose(option: OptionId): void;
  close(): void;
  backToReview(): void;
  cancelEdit(): void;
  keepEditing(): void;
  save(): void;
  reloadAfterConflict(): void;
  setArchiveReason(value: string): void;
  confirmArchive(): void;
  setRequestEmail(value: string): void;
  setRequestMessage(value: string): void;
  sendRequest(): void;
  fileUploaded(stripeFileId: string, filename: string | undefined): void;
  uploadFailed(): void;
}

function messageOf(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}

export function useCertificatePanel(api: CertificatesApi, cache: QueryCache, platform: Platform): CertificatePanel {
  const [panel, setPanel] = useState<PanelMode>({ mode: 'closed' });
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<ConflictNotice | null>(null);
  const [confirmingDiscard, setConfirmingDiscard] = useState(false);
  const [archiveReason, setArchiveReason] = useState('');
  const [requestForm, setRequestForm] = useState<RequestForm>({ email: '', message: '', errors: {} });
  const [uploadedFile, setUploadedFile] = useState<string | null>(null);
  const editor = useCertificateEditor(emptyDraft);
  const fileLinks = useFileLinks(api);
  const mutations = mutationsFor(api, cache);

  const certificateId = 'certificateId' in panel ? panel.certificateId : null;
  const detailQuery = useQuery(cache, certificateId === null ? null : queryKeys.certificate(certificateId), () =>
    certificateId === null ? Promise.reject(new Error('no certificate')) : api.certificate(certificateId),
  );
  const detail = certificateId === null ? null : detailQuery;
  const certificate = detail?.status === 'ready' ? detail.data : null;
  const wizard = useReprocessWizard(certificate, { api, mutations, cache, platform });

  const go = (next: PanelMode) => {
    setPanel(next);
    setError(null);
    setConflict(null);
    setConfirmingDiscard(false);
    setPending(false);
  };

  /** Runs an action with `pending` set; its failure becomes the panel's error banner. */
  const perform = <T,>(work: () => Promise<T>, done: (result: T) => void, failed?: (failure: unknown) => boolean) => {
    setPending(true);
    setError(null);
    work().then(
      (result) => {
        setPending(false);
        done(result);
      },
      (failure: unknown) => {
        setPending(false);
        if (failed?.(failure) !== true) setError(messageOf(failure));
      },
    );
  };

  const options: OptionId[] =
    certificate === null || certificate.archivedAt !== null
      ? []
      : ['edit', 'archive', ...(offersRenewal(certificate.status) ? (['request'] as const) : []), 'reprocess', 'upload'];

  const openRequest = (customerId: string, email: string | null, renewsCertificateId?: string) => {
    setRequestForm({ email: email ?? '', message: '', errors: {} });
    go({ mode: 'request', customerId, email, renewsCertificateId: renewsCertificateId ?? null });
  };

  const startEditing = (current: CertificateView) => {
    editor.reset(draftOf(current));
    go({ mode: 'edit', certificateId: current.id });
  };

  return {
    panel,
    detail,
    editor,
    wizard,
    pending,
    error,
    conflict,
    confirmingDiscard,
    archiveReason,
    requestForm,
    uploadedFile,
    fileLinks,
    options,
    deps: { api, mutations, cache, platform },

    openCertificate: (id) => go({ mode: 'review', certificateId: id }),
    openCreate: (customerId) => {
      editor.reset(emptyDraft);
      go({ mode: 'create', customerId });
    },
    openRequest,
    choose: (option) => {
      if (certificate === null) return;
      if (option === 'edit') startEditing(certificate);
      else if (option === 'request') openRequest(certificate.customerId, certificate.customer.email, certificate.id);
      else if (option === 'reprocess') {
        wizard.reset(certificate);
        go({ mode: 'reprocess', certificateId: certificate.id });
      } else {
        setArchiveReason('');
        setUploadedFile(null);
        go({ mode: option, certificateId: certificate.id });
      }
    },
    close: () => go({ mode: 'closed' }),
    backToReview: () => (certificateId === null ? go({ mode: 'closed' }) : go({ mode: 'review', certificateId })),
    cancelEdit: () => {
      if (editor.dirty && !confirmingDiscard) {
        setConfirmingDiscard(true);
        return;
      }
      if (panel.mode === 'create' || certificateId === null) go({ mode: 'closed' });
      else go({ mode: 'review', certificateId });
    },
    keepEditing: () => setConfirmingDiscard(false),

    save: () => {
      setConfirmingDiscard(false);
      if (panel.mode === 'create') {
        const checked = validateCreate(editor.draft, panel.customerId);
        if (!checked.ok) {
          editor.setErrors(checked.errors);
          return;
        }
        perform(
          () => mutations.createCertificate(checked.value),
          (created) => {
            platform.toast('Certificate added', 'success');
            go({ mode: 'review', certificateId: created.id });
          },
          (failure) => {
            if (failure instanceof InvalidRequestError) editor.setErrors(errorsFromProblems(failure.problems));
            return false;
          },
        );
        return;
      }
      if (panel.mode !== 'edit' || certificate === null) return;
      const checked = validateEdit(editor.draft, editor.initial, certificate.version);
      if (!checked.ok) {
        editor.setErrors(checked.errors);
        return;
      }
      const patch = checked.value;
      if (patch === null) {
        go({ mode: 'review', certificateId: certificate.id });
        return;
      }
      perform(
        () => mutations.updateCertificate(certificate.id, patch),
        () => {
          platform.toast('Certificate saved', 'success');
          go({ mode: 'review', certificateId: certificate.id });
        },
        (failure) => {
          if (failure instanceof VersionConflictError) {
            setConflict({ message: failure.message, current: failure.current });
            return true;
          }
          if (failure instanceof InvalidRequestError) editor.setErrors(errorsFromProblems(failure.problems));
          return false;
        },
      );
    },

    reloadAfterConflict: () => {
      const current = conflict?.current ?? null;
      setConflict(null);
      if (certificateId !== null) cache.invalidate(queryKeys.certificate(certificateId));
      // Their version replaces the form: the merchant's changes are dropped, as the notice said.
      if (current !== null && current.archivedAt === null) editor.reset(draftOf(current));
      else if (certificateId !== null) go({ mode: 'review', certificateId });
    },

    setArchiveReason,
    confirmArchive: () => {
      if (certificate === null) return;
      const reason = archiveReason.trim();
      perform(
        () => mutations.archiveCertificate(certificate.id, { ...(reason === '' ? {} : { reason }), expectedVersion: certificate.version }),
        () => {
          platform.toast('Certificate archived', 'success');
          go({ mode: 'review', certificateId: certificate.id });
        },
        (failure) => {
          if (failure instanceof VersionConflictError) {
            setConflict({ message: failure.message, current: failure.current });
            return true;
          }
          return false;
        },
      );
    },

    setRequestEmail: (email) => setRequestForm((form) => ({ ...form, email, errors: {} })),
    setRequestMessage: (message) => setRequestForm((form) => ({ ...form, message })),
    sendRequest: () => {
      if (panel.mode !== 'request') return;
      const email = requestForm.email.trim();
      const message = requestForm.message.trim();
      perform(
        () =>
          mutations.requestCertificate({
            customerId: panel.customerId,
            ...(email === '' ? {} : { email }),
            ...(panel.renewsCertificateId === null ? {} : { renewsCertificateId: panel.renewsCertificateId }),
            ...(message === '' ? {} : { message }),
          }),
        (sent) => {
          platform.toast(`Request sent to ${sent.email}`, 'success');
          go(panel.renewsCertificateId === null ? { mode: 'closed' } : { mode: 'review', certificateId: panel.renewsCertificateId });
        },
        (failure) => {
          if (failure instanceof InvalidRequestError) setRequestForm((form) => ({ ...form, errors: errorsFromProblems(failure.problems) }));
          return false;
        },
      );
    },

    fileUploaded: (stripeFileId, filename) => {
      if (certificate === null) return;
      perform(
        () => mutations.attachStripeFile(certificate.id, stripeFileId),
        (attached) => {
          setUploadedFile(attached.file.filename);
          platform.toast(`${filename ?? attached.file.filename} attached`, 'success');
        },
      );
    },
    uploadFailed: () => setError('The upload to Stripe did not finish. Try again, with a PDF, PNG or JPEG of at most 10 MB.'),
  };
}
