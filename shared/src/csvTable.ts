/*
 * Tables bound for CSV, without the CSV syntax (the worker writes and reads that with
 * csv-stringify and csv-parse). What is decided here is what a cell holds:
 *
 * - null is an empty cell, numbers are written as digits;
 * - text that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
 *   carriage return) is written with a leading apostrophe, the convention spreadsheets show
 *   as text. So a customer name such as `=HYPERLINK(…)` in an export cannot run in the
 *   merchant's spreadsheet. Text that already starts with apostrophes before such a
 *   character gets one more, so `unguardCsvCell` undoes exactly what `guardCsvCell` did and
 *   an exported value imports back unchanged.
 */

const formulaStart = /^'*[=+\-@\t\r]/;

/** A text value as written to a CSV cell. */
export function guardCsvCell(value: string): string {
  return formulaStart.test(value) ? `'${value}` : value;
}

/** A CSV cell as the value it stands for: the inverse of `guardCsvCell`. */
export function unguardCsvCell(cell: string): string {
  return /^'+[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

export interface CsvColumn<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number | null;
}

/** A header and rows of cells, each row as long as the header. */
export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

function cellOf(value: string | number | null): string {
  if (value === null) return '';
  // Numbers are amounts and versions: a minus sign on one is a sign, not a formula.
  if (typeof value === 'number') return String(value);
  return guardCsvCell(value);
}

export function csvTable<Row>(columns: readonly CsvColumn<Row>[], rows: readonly Row[]): CsvTable {
  return {
    header: columns.map((column) => column.header),
    rows: rows.map((row) => columns.map((column) => cellOf(column.value(row)))),
  };
}
