import { csvTable, type CsvColumn, type CsvTable } from '../csvTable.js';
import type { FlaggedReport, FlaggedReportRow } from './flaggedReports.js';

/**
 * The CSV of a report: one line per row, the JSON row's fields flattened (the certificate
 * into three columns, taxability reasons space-separated). Amounts stay in minor units of
 * `currency`, as everywhere in the API, so the file adds up exactly.
 */
export const flaggedReportColumns: readonly CsvColumn<FlaggedReportRow>[] = [
  { header: 'invoiceId', value: (row) => row.invoiceId },
  { header: 'invoiceNumber', value: (row) => row.invoiceNumber },
  { header: 'purchaseOrder', value: (row) => row.purchaseOrder },
  { header: 'customerId', value: (row) => row.customerId },
  { header: 'jurisdiction', value: (row) => row.jurisdiction },
  { header: 'transactionDate', value: (row) => row.transactionDate },
  { header: 'periodKey', value: (row) => row.periodKey },
  { header: 'currency', value: (row) => row.currency },
  { header: 'treatment', value: (row) => row.treatment },
  { header: 'taxable', value: (row) => row.taxable },
  { header: 'exempt', value: (row) => row.exempt },
  { header: 'tax', value: (row) => row.tax },
  { header: 'exposedExempt', value: (row) => row.exposedExempt },
  { header: 'overCollectedTax', value: (row) => row.overCollectedTax },
  { header: 'certificateId', value: (row) => row.certificate?.id ?? null },
  { header: 'certificateVersion', value: (row) => row.certificate?.version ?? null },
  { header: 'certificateNumber', value: (row) => row.certificate?.number ?? null },
  { header: 'taxabilityReasons', value: (row) => row.taxabilityReasons.join(' ') },
  { header: 'entryId', value: (row) => row.entryId },
];

export function flaggedReportCsv(report: FlaggedReport): CsvTable {
  return csvTable(flaggedReportColumns, report.rows);
}
