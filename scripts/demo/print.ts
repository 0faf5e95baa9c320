/** The demo's terminal output: numbered steps, indented lines and aligned tables, plain text only. */

const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

export function title(text: string): void {
  out(`\n${text}\n${'='.repeat(text.length)}`);
}

export function step(number: number, of: number, text: string): void {
  const heading = `[${number}/${of}] ${text}`;
  out(`\n${heading}\n${'-'.repeat(heading.length)}`);
}

export function say(text: string): void {
  out(`  ${text}`);
}

export type Cell = string | number | boolean | null;

/** Columns padded to their widest cell; numbers, and the columns named in `right` (amounts), right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly Cell[])[], right: readonly string[] = []): void {
  const text = (cell: Cell): string => (cell === null ? '—' : String(cell));
  const widths = header.map((name, column) => Math.max(name.length, ...rows.map((row) => text(row[column] ?? null).length)));
  const format = (cells: readonly Cell[], heading: boolean): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        const alignRight = right.includes(header[column] ?? '') || (!heading && typeof cell === 'number');
        return alignRight ? text(cell).padStart(width) : text(cell).padEnd(width);
      })
      .join('  ')
      .trimEnd();
  out(`  ${format(header, true)}`);
  out(`  ${widths.map((width) => '-'.repeat(width)).join('  ')}`);
  for (const row of rows) out(`  ${format(row, false)}`);
  if (rows.length === 0) out('  (none)');
}

/** Minor units as an amount: 1250 usd → 12.50 USD (the demo's amounts are all in two-decimal currencies). */
export function money(minor: number, currency = 'usd'): string {
  return `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
}
