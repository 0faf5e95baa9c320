import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** An email as the test SMTP server received and mailparser parsed it. */
export interface ReceivedEmail {
  readonly to: string;
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  readonly template: string;
  readonly parsed: ParsedMail;
}

function addressText(value: ParsedMail['to'] | ParsedMail['from']): string {
  if (value === undefined) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

/**
 * A real SMTP server on a loopback port (smtp-server), for tests: the worker sends to it with
 * nodemailer exactly as to a production relay, and each message is parsed with mailparser.
 * `failNext(n)` answers the next n messages with a temporary failure (451), as a busy or
 * greylisting server would.
 */
export class TestSmtpServer {
  readonly received: ReceivedEmail[] = [];
  private failures = 0;
  attempts = 0;

  private constructor(
    private readonly server: SMTPServer,
    readonly url: string,
  ) {}

  /** On `onPort` when given (a test that takes the server down and brings it back), else on any free one. */
  static async start(onPort = 0): Promise<TestSmtpServer> {
    // The handler needs the instance, which needs the server: a holder breaks the cycle.
    const holder: { instance?: TestSmtpServer } = {};
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        const self = holder.instance;
        if (self === undefined) return callback(new Error('server not ready'));
        self.attempts += 1;
        if (self.failures > 0) {
          self.failures -= 1;
          stream.resume();
          stream.on('end', () => callback(Object.assign(new Error('Try again later'), { responseCode: 451 })));
          return;
        }
        simpleParser(stream)
          .then((parsed) => {
            self.received.push({
              to: addressText(parsed.to),
              from: addressText(parsed.from),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
              template: String(parsed.headers.get('x-exemptions-template') ?? ''),
              parsed,
            });
            callback();
          })
          .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(onPort, '127.0.0.1', () => resolve());
    });
    const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
    const instance = new TestSmtpServer(server, `smtp://127.0.0.1:${port}`);
    holder.instance = instance;
    return instance;
  }

  failNext(count: number): void {
    this.failures = count;
  }

  /** Waits for a message matching `match`; fails the test with what did arrive if none does. */
  async waitFor(match: (email: ReceivedEmail) => boolean, timeoutMs = 15_000): Promise<ReceivedEmail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(`no such email within ${timeoutMs} ms; received: ${JSON.stringify(this.received.map((e) => ({ to: e.to, subject: e.subject, template: e.template })))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  matching(match: (email: ReceivedEmail) => boolean): ReceivedEmail[] {
    return this.received.filter(match);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The portal link in an email's text. */
export function linkIn(email: ReceivedEmail): string {
  const match = /https?:\/\/\S+\/portal\/r\/[A-Za-z0-9_-]+/.exec(email.text);
  if (match === null) throw new Error(`no portal link in: ${email.text}`);
  return match[0];
}
