/**
 * Reviewing one customer submission from the queue: approve it as submitted or with the
 * reviewer's corrections, or reject it with a reason the customer will read (they get a new link).
 */
import { useState } from 'react';
import { InvalidRequestError, StateConflictError } from '../api/errors';
import type { CertificateRequestView } from '../api/types';
import type { Mutations } from '../data/mutations';
import { draftOf, emptyDraft, errorsFromProblems, validateApproval } from '../domain/certificateDraft';
import type { Platform } from '../platform';
import { useCertificateEditor } from './useCertificateEditor';
import type { CertificateEditor } from './useCertificateEditor';

export interface SubmissionReview {
  readonly request: CertificateRequestView | null;
  readonly mode: 'review' | 'reject';
  readonly editor: CertificateEditor;
  readonly rejectReason: string;
  readonly rejectError: string | null;
  readonly pending: boolean;
  readonly error: string | null;
  open(request: CertificateRequestView): void;
  close(): void;
  approve(): void;
  startReject(): void;
  backToReview(): void;
  setRejectReason(value: string): void;
  confirmReject(): void;
}

export function useSubmissionReview(mutations: Mutations, platform: Platform): SubmissionReview {
  const [request, setRequest] = useState<CertificateRequestView | null>(null);
  const [mode, setMode] = useState<'review' | 'reject'>('review');
  const [rejectReason, setRejectReason] = useState('');
  const [rejectError, setRejectError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const editor = useCertificateEditor(emptyDraft);

  const finish = (message: string) => {
    platform.toast(message, 'success');
    setRequest(null);
    setPending(false);
  };

  const fail = (failure: unknown) => {
    setPending(false);
    // A decision someone else already made: say so, and leave the queue to reload.
    setError(failure instanceof StateConflictError ? `${failure.message} Close this and reload the queue.` : failure instanceof Error ? failure.message : String(failure));
  };

  return {
    request,
    mode,
    editor,
    rejectReason,
    rejectError,
    pending,
    error,
    open: (next) => {
      setRequest(next);
      setMode('review');
      setRejectReason('');
      setRejectError(null);
      setError(null);
      editor.reset(next.submission === null ? emptyDraft : draftOf({ ...next.submission, jurisdictions: [...next.submission.jurisdictions] }));
    },
    close: () => setRequest(null),
    approve: () => {
      if (request === null) return;
      const checked = validateApproval(editor.draft, editor.initial, request.customer.id);
      if (!checked.ok) {
        editor.setErrors(checked.errors);
        return;
      }
      setPending(true);
      setError(null);
      mutations.approveRequest(request.id, checked.value).then(
        () => finish(`Certificate from ${request.customer.name ?? request.email} approved`),
        (failure: unknown) => {
          if (failure instanceof InvalidRequestError) editor.setErrors(errorsFromProblems(failure.problems));
          fail(failure);
        },
      );
    },
    startReject: () => {
      setMode('reject');
      setError(null);
    },
    backToReview: () => setMode('review'),
    setRejectReason: (value) => {
      setRejectReason(value);
      setRejectError(null);
    },
    confirmReject: () => {
      if (request === null) return;
      const reason = rejectReason.trim();
      if (reason === '') {
        setRejectError('give the reason the customer will read');
        return;
      }
      setPending(true);
      setError(null);
      mutations.rejectRequest(request.id, reason).then(() => finish(`Submission rejected; ${request.email} was sent a new link`), fail);
    },
  };
}
