/**
 * Calls the worker's API from a terminal, signed with the app secret exactly as the Stripe
 * App would sign it (worker/src/tools/signedFetch.ts): `npm run api -- GET /certificates`.
 * Meant for operators against their own worker; see the README's "API" section.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signedFetch, type SignedCall } from '../worker/src/tools/signedFetch.js';

const USAGE = `Usage: npm run api -- <METHOD> <path> [options]

Calls the worker's API (/api/v1) signed with the app secret, as the Stripe App would.

  <METHOD>             GET, POST, PATCH or DELETE
  <path>               /certificates?status=active, or with its /api/v1 prefix

Options:
  --data '<json>'      JSON request body; --data @file.json reads it from a file
  --file <path>        upload the file as multipart/form-data, in the part "file"
  --csv <path>         send the file as the text/csv body (the certificate import)
  --out <path>         write a binary (non-JSON) answer, such as a download, to this file
  --account <acct_…>   the account to act as (default: $STRIPE_ACCOUNT_ID)
  --user <usr_…>       the Dashboard user recorded in history (default: $STRIPE_USER_ID or usr_operator)
  --live               live mode (default: test mode)
  -h, --help           this help

Environment:
  STRIPE_APP_SECRETS   the app signing secret(s), comma-separated; the first one signs
  API_URL              the worker's base URL (default http://127.0.0.1:3000)

Prints the status line on stderr and the answer (pretty JSON) on stdout.
Exits 0 on a 2xx answer, 1 otherwise.`;

const DEFAULT_API_URL = 'http://127.0.0.1:3000';
const API_PREFIX = '/api/v1';
const DEFAULT_USER = 'usr_operator';
const METHODS = ['GET', 'POST', 'PATCH', 'DELETE'] as const;

/** Something the operator can fix; the message says how. */
class UsageError extends Error {
  override name = 'UsageError';
}

interface Invocation {
  readonly baseUrl: string;
  readonly call: SignedCall;
  readonly identity: { secret: string; accountId: string; userId: string; livemode: boolean };
  readonly out: string | undefined;
}

function firstSecret(env: NodeJS.ProcessEnv): string {
  const secret = (env.STRIPE_APP_SECRETS ?? '')
    .split(',')
    .map((value) => value.trim())
    .find((value) => value !== '');
  if (secret === undefined) {
    throw new UsageError('STRIPE_APP_SECRETS is not set: export the app signing secret (absec_…) the worker is configured with.');
  }
  if (!/^absec_[A-Za-z0-9_]+$/.test(secret)) {
    throw new UsageError('STRIPE_APP_SECRETS: expected an app signing secret (absec_…) as its first entry.');
  }
  return secret;
}

async function jsonBody(data: string): Promise<string> {
  let text = data;
  if (data.startsWith('@')) {
    const file = data.slice(1);
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--data @${file}: cannot read the file (${(error as Error).message})`);
    }
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--data: not valid JSON (${(error as Error).message})`);
  }
  // Sent as given: the signature covers these exact bytes.
  return text;
}

async function csvBody(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`--csv ${file}: cannot read the file (${(error as Error).message})`);
  }
}

/** The multipart body, encoded once so the bytes that are signed are the bytes that are sent. */
async function multipartBody(file: string): Promise<{ body: Buffer; contentType: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new UsageError(`--file ${file}: cannot read the file (${(error as Error).message})`);
  }
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), path.basename(file));
  const encoded = new Request('http://localhost/', { method: 'POST', body: form });
  const contentType = encoded.headers.get('content-type');
  if (contentType === null) throw new Error('FormData encoding gave no Content-Type');
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType };
}

async function parseInvocation(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Invocation | 'help'> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        data: { type: 'string' },
        file: { type: 'string' },
        csv: { type: 'string' },
        out: { type: 'string' },
        account: { type: 'string' },
        user: { type: 'string' },
        live: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 2) throw new UsageError(`expected <METHOD> <path> (got ${positionals.length === 0 ? 'nothing' : positionals.join(' ')})`);

  const [rawMethod = '', rawPath = ''] = positionals;
  const method = rawMethod.toUpperCase();
  if (!(METHODS as readonly string[]).includes(method)) throw new UsageError(`unknown method ${rawMethod}: expected one of ${METHODS.join(', ')}`);
  if (!rawPath.startsWith('/')) throw new UsageError(`the path must start with / (got ${rawPath})`);
  const target = rawPath === API_PREFIX || rawPath.startsWith(`${API_PREFIX}/`) || rawPath.startsWith(`${API_PREFIX}?`) ? rawPath : `${API_PREFIX}${rawPath}`;
  if ([values.data, values.file, values.csv].filter((value) => value !== undefined).length > 1) throw new UsageError('--data, --file and --csv cannot be used together');

  const secret = firstSecret(env);
  const accountId = values.account ?? env.STRIPE_ACCOUNT_ID;
  if (accountId === undefined || accountId === '') {
    throw new UsageError('no account: pass --account acct_… (or set STRIPE_ACCOUNT_ID) to say whose data to act on.');
  }
  if (!/^acct_[A-Za-z0-9]{1,64}$/.test(accountId)) throw new UsageError(`--account: expected a Stripe account id (acct_…), got ${accountId}`);
  const userId = values.user ?? (env.STRIPE_USER_ID || DEFAULT_USER);
  if (!/^usr_[A-Za-z0-9]{1,64}$/.test(userId)) throw new UsageError(`--user: expected a Stripe user id (usr_…), got ${userId}`);

  let call: SignedCall = { method, target };
  if (values.data !== undefined) call = { ...call, body: await jsonBody(values.data), contentType: 'application/json' };
  if (values.file !== undefined) call = { ...call, ...(await multipartBody(values.file)) };
  if (values.csv !== undefined) call = { ...call, body: await csvBody(values.csv), contentType: 'text/csv' };

  let baseUrl = env.API_URL || DEFAULT_API_URL;
  try {
    baseUrl = new URL(baseUrl).toString();
  } catch {
    throw new UsageError(`API_URL: not a URL (${baseUrl})`);
  }
  return { baseUrl, call, identity: { secret, accountId, userId, livemode: values.live }, out: values.out };
}

async function printAnswer(response: Response, out: string | undefined): Promise<boolean> {
  const ok = response.status >= 200 && response.status < 300;
  console.error(`HTTP ${response.status} ${response.statusText}`);
  const contentType = response.headers.get('content-type') ?? '';
  const bytes = Buffer.from(await response.arrayBuffer());
  if (contentType.includes('application/json')) {
    const text = bytes.toString('utf8');
    try {
      console.log(JSON.stringify(JSON.parse(text), null, 2));
    } catch {
      console.log(text);
    }
    return ok;
  }
  if (out !== undefined) {
    await writeFile(out, bytes);
    console.error(`Wrote ${bytes.length} bytes (${contentType || 'no Content-Type'}) to ${out}`);
    return ok;
  }
  if (bytes.length === 0) return ok;
  if (contentType.startsWith('text/')) {
    console.log(bytes.toString('utf8'));
    return ok;
  }
  console.error(`The answer is ${bytes.length} bytes of ${contentType || 'unknown type'}: pass --out <path> to save it.`);
  return false;
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let invocation: Invocation | 'help';
  try {
    invocation = await parseInvocation(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`api: ${error.message}\nSee npm run api -- --help`);
    return 1;
  }
  if (invocation === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { baseUrl, call, identity, out } = invocation;
  let response: Response;
  try {
    response = await signedFetch(baseUrl, call, identity);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    console.error(`api: could not reach the worker at ${baseUrl} (${cause}). Is it running (npm start)? Set API_URL if it listens elsewhere.`);
    return 1;
  }
  return (await printAnswer(response, out)) ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2), process.env);
