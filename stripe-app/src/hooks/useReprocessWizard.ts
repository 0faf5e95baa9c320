/**
 * Reprocessing one certificate's transactions, step by step as the help page describes it:
 * dates (and whether the customer's current address wins) → the preview's numbers and
 * warnings → an acknowledgement, without which Start stays disabled → progress until the run
 * finishes → done.
 */
import { useCallback, useEffect, useState } from 'react';
import type { CertificatesApi } from '../api/certificatesApi';
import type { CertificateView, ReprocessPreview, ReprocessRun } from '../api/types';
import type { QueryCache } from '../data/queryCache';
import type { Mutations } from '../data/mutations';
import { queryKeys } from '../data/queryKeys';
import type { FieldErrors } from '../domain/certificateDraft';
import type { Platform } from '../platform';

export type ReprocessStep = 'dates' | 'preview' | 'progress' | 'done';

export interface ReprocessWizard {
  readonly step: ReprocessStep;
  readonly startDate: string;
  readonly endDate: string;
  readonly prioritizeCustomerAddress: boolean;
  readonly preview: ReprocessPreview | null;
  readonly acknowledged: boolean;
  readonly run: ReprocessRun | null;
  readonly errors: FieldErrors;
  /** A failure of the last action, as a sentence. */
  readonly error: string | null;
  readonly pending: boolean;
  /** Start needs the acknowledgement. */
  readonly canStart: boolean;
  setStartDate(value: string): void;
  setEndDate(value: string): void;
  setPrioritizeCustomerAddress(value: boolean): void;
  setAcknowledged(value: boolean): void;
  next(): void;
  back(): void;
  start(): void;
  cancelRun(): void;
  /** Starts over at the dates step for `certificate`. */
  reset(certificate: CertificateView): void;
}

const finished = (run: ReprocessRun) => run.status === 'completed' || run.status === 'cancelled' || run.status === 'failed';

/** Today in the merchant's browser, as a default end date only; the service judges dates in the account's zone. */
function todayHere(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

function earliestEffectiveDate(certificate: CertificateView): string {
  return certificate.jurisdictions.map((j) => j.effectiveDate).sort()[0] ?? '';
}

/** `certificate` is the one under review (null while none is loaded); `reset` starts the wizard for it. */
export function useReprocessWizard(certificate: CertificateView | null, deps: { api: CertificatesApi; mutations: Mutations; cache: QueryCache; platform: Platform }): ReprocessWizard {
  const { api, mutations, cache, platform } = deps;
  const [step, setStep] = useState<ReprocessStep>('dates');
  const [startDate, setStartDate] = useState('');
  const [endDate, setEndDate] = useState('');
  const [prioritizeCustomerAddress, setPrioritizeCustomerAddress] = useState(false);
  const [preview, setPreview] = useState<ReprocessPreview | null>(null);
  const [acknowledged, setAcknowledged] = useState(false);
  const [run, setRun] = useState<ReprocessRun | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const range = { startDate, endDate, prioritizeCustomerAddress };

  const next = () => {
    if (certificate === null) return;
    const problems: Record<string, string> = {};
    if (startDate === '') problems.startDate = 'choose the first day to reprocess';
    if (endDate === '') problems.endDate = 'choose the last day to reprocess';
    if (startDate !== '' && endDate !== '' && endDate < startDate) problems.endDate = 'the end date is before the start date';
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setPending(true);
    setError(null);
    api.previewReprocess(certificate.id, range).then(
      (answer) => {
        setPreview(answer);
        setAcknowledged(false);
        setStep('preview');
        setPending(false);
      },
      (failure: unknown) => {
        setError(failure instanceof Error ? failure.message : String(failure));
        setPending(false);
      },
    );
  };

  const start = () => {
    if (certificate === null || preview === null || !acknowledged) return;
    setPending(true);
    setError(null);
    mutations.startReprocess(certificate.id, range, preview.summary.warnings).then(
      (started) => {
        setRun(started);
        setStep(finished(started) ? 'done' : 'progress');
        setPending(false);
      },
      (failure: unknown) => {
        setError(failure instanceof Error ? failure.message : String(failure));
        setPending(false);
      },
    );
  };

  const cancelRun = () => {
    if (run === null) return;
    mutations.cancelReprocess(run.id).then(setRun, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
  };

  const runId = run?.id ?? null;
  const runFinished = run === null ? true : finished(run);
  const onFinished = useCallback(
    (last: ReprocessRun) => {
      setStep('done');
      // The run wrote ledger entries: an open invoice view must not keep the old ones.
      cache.invalidate('ledger/', queryKeys.compliance);
      platform.toast(last.status === 'completed' ? `Reprocessing finished: ${last.changed} of ${last.total} transactions changed` : `Reprocessing ${last.status}`, last.status === 'completed' ? 'success' : 'caution');
    },
    [cache, platform],
  );

  // Progress: ask for the run until it finishes; stop when the wizard closes.
  useEffect(() => {
    if (runId === null || runFinished) return undefined;
    let stopped = false;
    const timer = setTimeout(() => {
      api.reprocessRun(runId).then(
        (latest) => {
          if (stopped) return;
          setRun(latest);
          if (finished(latest)) onFinished(latest);
        },
        (failure: unknown) => {
          if (!stopped) setError(failure instanceof Error ? failure.message : String(failure));
        },
      );
    }, platform.pollIntervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, runId, runFinished, run, onFinished, platform.pollIntervalMs]);

  return {
    step,
    startDate,
    endDate,
    prioritizeCustomerAddress,
    preview,
    acknowledged,
    run,
    errors,
    error,
    pending,
    canStart: preview !== null && acknowledged && !pending,
    setStartDate,
    setEndDate,
    setPrioritizeCustomerAddress,
    setAcknowledged,
    next,
    back: () => {
      setStep('dates');
      setError(null);
    },
    start,
    cancelRun,
    reset: (target) => {
      setStep('dates');
      setStartDate(earliestEffectiveDate(target));
      setEndDate(todayHere());
      setPrioritizeCustomerAddress(false);
      setPreview(null);
      setAcknowledged(false);
      setRun(null);
      setErrors({});
      setError(null);
      setPending(false);
    },
  };
}
