import { Banner, Box, Checkbox, DateField, PropertyList, PropertyListItem, Spinner } from '@stripe/ui-extension-sdk/ui';
import type { ReprocessSummaryView, SkipReason } from '../api/types';
import { formatMoney, plural } from '../domain/format';
import { reprocessWarningText, skipReasonLabels } from '../domain/labels';
import type { ReprocessWizard } from '../hooks/useReprocessWizard';

/** Step 1: which transactions, and which address judges them. */
const DatesStep = ({ wizard }: { wizard: ReprocessWizard }) => (
  <Box css={{ stack: 'y', gap: 'medium' }}>
    <Box>Apply this certificate to the customer’s invoices between two dates. Nothing changes until you start the run.</Box>
    <DateField label="Start date" value={wizard.startDate} error={wizard.errors.startDate} onChange={wizard.setStartDate} />
    <DateField label="End date" value={wizard.endDate} error={wizard.errors.endDate} onChange={wizard.setEndDate} />
    <Checkbox
      label="Prioritize customer address over invoice address"
      description="Judge each invoice by where the customer is now, instead of the address the invoice was taxed on."
      checked={wizard.prioritizeCustomerAddress}
      onChange={(event) => wizard.setPrioritizeCustomerAddress(event.target.checked)}
    />
  </Box>
);

const refundText = (summary: ReprocessSummaryView): string => {
  const refunds = Object.entries(summary.refundByCurrency).map(([currency, amount]) => formatMoney(amount, currency));
  return refunds.length === 0 ? 'None' : refunds.join(', ');
};

/** Step 2: what the run would do, its warnings, and the acknowledgement Start needs. */
const PreviewStep = ({ wizard }: { wizard: ReprocessWizard }) => {
  const summary = wizard.preview?.summary;
  if (summary === undefined) return null;
  const skipped = (Object.entries(summary.skipped) as [SkipReason, number][]).filter(([, count]) => count > 0);
  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <PropertyList>
        <PropertyListItem label="Transactions in range" value={String(summary.transactions)} />
        <PropertyListItem label="Would change" value={String(summary.changes)} />
        <PropertyListItem label="In open periods (replaced in place)" value={String(summary.inOpenPeriods)} />
        <PropertyListItem label="In filed periods (corrected in the current period)" value={String(summary.inFiledPeriods)} />
        <PropertyListItem label="Refund due to the customer" value={refundText(summary)} />
        <PropertyListItem
          label="Past the refund statute of limitations"
          value={`${summary.pastRefundStatute}${summary.pastRefundStatuteAssumed > 0 ? ` (${summary.pastRefundStatuteAssumed} on an assumed 3 years)` : ''}`}
        />
        <PropertyListItem
          label="Skipped"
          value={skipped.length === 0 ? 'None' : skipped.map(([reason, count]) => `${count} ${skipReasonLabels[reason]}`).join('; ')}
        />
      </PropertyList>
      {summary.warnings.map((warning) => (
        <Banner key={warning} type="caution" description={reprocessWarningText[warning]} />
      ))}
      <Checkbox
        label={
          summary.warnings.length === 0
            ? `I understand that ${plural(summary.changes, 'transaction')} will be rewritten in the ledger`
            : `I understand the ${plural(summary.warnings.length, 'warning')} above and that ${plural(summary.changes, 'transaction')} will be rewritten in the ledger`
        }
        checked={wizard.acknowledged}
        onChange={(event) => wizard.setAcknowledged(event.target.checked)}
      />
    </Box>
  );
};

/** Steps 3 and 4: the run's progress, then how it ended. */
const ProgressStep = ({ wizard }: { wizard: ReprocessWizard }) => {
  const run = wizard.run;
  if (run === null) return null;
  const counts = `${run.processed} of ${run.total} transactions processed, ${run.changed} changed`;
  if (wizard.step === 'progress') {
    return (
      <Box css={{ stack: 'y', gap: 'medium', alignX: 'center' }}>
        <Spinner size="large" />
        <Box>{run.cancelRequestedAt === null ? `Reprocessing… ${counts}.` : `Stopping after the current batch… ${counts}.`}</Box>
      </Box>
    );
  }
  if (run.status === 'completed') return <Banner type="default" title="Reprocessing finished" description={`${counts}. Filed returns are untouched; corrections are in the current open period.`} />;
  if (run.status === 'cancelled') return <Banner type="caution" title="Reprocessing cancelled" description={`${counts} before it stopped. What it did is consistent; run it again to finish.`} />;
  return <Banner type="critical" title="Reprocessing failed" description={run.error ?? 'The run stopped with an error. Run it again: transactions already done are not changed twice.'} />;
};

/** The wizard's body for its current step. */
export const ReprocessSteps = ({ wizard }: { wizard: ReprocessWizard }) => (
  <Box css={{ stack: 'y', gap: 'medium' }}>
    {wizard.error === null ? null : <Banner type="critical" description={wizard.error} />}
    {wizard.step === 'dates' ? <DatesStep wizard={wizard} /> : wizard.step === 'preview' ? <PreviewStep wizard={wizard} /> : <ProgressStep wizard={wizard} />}
  </Box>
);
