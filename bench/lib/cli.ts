import type { ServerInfo } from './database.js';

/**
 * The options `parse` reads from the command line. A bad command line prints why and the usage
 * and exits with 2; `--help` prints the usage and exits with 0.
 */
export function readCommandLine<T extends { readonly help?: boolean | undefined }>(parse: (argv: string[]) => T, usage: string): T {
  let options: T;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    process.exit(2);
  }
  if (options.help === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return options;
}

/** The database a run measured, as its log and report name it. */
export function describeServer(server: ServerInfo): string {
  const product = server.product === 'ferretdb' ? `FerretDB ${server.ferretdbVersion ?? ''}` : `MongoDB ${server.version}`;
  return `${product} (${server.provisioned}${server.handler === null ? '' : `, ${server.handler} handler`})`;
}
