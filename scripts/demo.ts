/**
 * `npm run demo`: the whole product in the terminal, through the worker's real HTTP routes,
 * jobs and database. By default it starts its own worker (in this process, on the embedded
 * database, in .data/demo) and a fake of the Stripe API for the worker's Stripe client; with
 * --url it drives a worker you started (see --help). A fresh account per run, so runs never
 * collide. Exits 0 at the end, 1 with the failing step and why.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DemoApi, DemoError } from './demo/demoClient.js';
import { demoDates } from './demo/demoData.js';
import { runningWorker, startOwnWorker, type DemoWorker } from './demo/demoWorker.js';
import { FakeStripeApi } from './demo/fakeStripeApi.js';
import { say, step, title } from './demo/print.js';
import { DemoStory } from './demo/story.js';

const USAGE = `Usage: npm run demo [-- --url <worker URL> [--stripe-port <port>]]

Walks through the product: seeds an account, sends signed invoice webhooks, files a period,
requests a certificate and answers it through the portal, approves it, reprocesses past
invoices, and prints the ledger and the compliance summary.

Without --url (the default) the demo starts its own worker, on the embedded database in
.data/demo (or MONGODB_URI), with a local fake of the Stripe API: nothing else to run.

With --url (or DEMO_WORKER_URL) it drives a worker you started yourself, which needs the
demo's fake Stripe API (listening on --stripe-port, default 12111) and the development outbox:

  STRIPE_APP_SECRETS=absec_demo STRIPE_WEBHOOK_SECRETS=whsec_demo STRIPE_SECRET_KEY=sk_test_demo \\
  STRIPE_API_BASE=http://127.0.0.1:12111 MAIL_OUTBOX_ROUTE=true npm start
  STRIPE_APP_SECRETS=absec_demo STRIPE_WEBHOOK_SECRETS=whsec_demo npm run demo -- --url http://127.0.0.1:3000`;

interface Options {
  readonly url: string | null;
  readonly stripePort: number;
}

function options(argv: readonly string[], env: NodeJS.ProcessEnv): Options | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: { url: { type: 'string' }, 'stripe-port': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) return 'help';
  const url = values.url ?? (env.DEMO_WORKER_URL || null);
  if (url !== null && !URL.canParse(url)) throw new DemoError(`--url: not a URL (${url})`);
  const stripePort = Number(values['stripe-port'] ?? 12111);
  if (!Number.isInteger(stripePort) || stripePort < 1 || stripePort > 65535) throw new DemoError(`--stripe-port: expected a port number (got ${values['stripe-port']})`);
  return { url, stripePort };
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed: Options | 'help';
  try {
    parsed = options(argv, env);
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\nSee npm run demo -- --help\n`);
    return 1;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const stripe = new FakeStripeApi();
  let worker: DemoWorker | null = null;
  let current = 'starting';
  try {
    title('Exemption certificates — demo');
    // Our own worker gets the fake on any free port; a worker started by hand was told a fixed one.
    const stripeUrl = await stripe.listen(parsed.url === null ? 0 : parsed.stripePort);
    if (parsed.url === null) say('Starting a worker (the first run on a new machine builds the embedded FerretDB once, which takes a few minutes)…');
    worker = parsed.url === null ? await startOwnWorker(stripeUrl, env) : runningWorker(parsed.url, env);
    say(`Worker ${worker.url}, ${worker.description}.`);
    say(`Stripe API: the demo's fake at ${stripeUrl} (Stripe itself is not reachable from here).`);

    const accountId = `acct_demo${randomBytes(6).toString('hex')}`;
    say(`Account ${accountId} (test mode), new for this run.`);
    const api = new DemoApi(worker.url, { secret: worker.appSecret, accountId, userId: 'usr_demo', livemode: false });
    const story = new DemoStory({ api, workerUrl: worker.url, webhookSecret: worker.webhookSecret, stripe, accountId, dates: demoDates(new Date()) });

    const steps: ReadonlyArray<readonly [string, () => Promise<void>]> = [
      ['Seeding customers and certificates', () => story.seed()],
      ['Sending signed invoice webhooks', () => story.sendInvoices()],
      ['Filing last month’s Texas return', () => story.filePeriod()],
      ['Requesting a certificate and answering it through the portal', () => story.requestAndAnswer()],
      ['Approving the submission', () => story.approve()],
      ['Reprocessing past invoices with the new certificate', () => story.reprocess()],
      ['The ledger and the compliance summary', () => story.report()],
    ];
    for (const [index, [name, run]] of steps.entries()) {
      current = name;
      step(index + 1, steps.length, name);
      await run();
    }
    current = 'the audit package';
    title('And for an auditor');
    await story.auditPackage();
    title('Demo complete');
    say(`Everything above is in account ${accountId}, kept in the worker's database; the next run starts a new account.`);
    return 0;
  } catch (error) {
    const message = error instanceof DemoError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`\nDemo failed while ${current.toLowerCase()}: ${message}\n`);
    return 1;
  } finally {
    await worker?.stop().catch(() => undefined);
    await stripe.close();
  }
}

// Exits explicitly: the job scheduler keeps timers that would hold the process open.
process.exit(await main(process.argv.slice(2), process.env));
