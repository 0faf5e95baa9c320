import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import { ZipArchive } from 'archiver';

/**
 * A zip written straight into a destination (an HTTP response) one entry at a time, with
 * archiver. Each `add` resolves once the entry has gone through the archive, so only the
 * entry being written is open and backpressure from a slow client reaches the source (a
 * GridFS download, a database cursor): nothing is held whole in memory. The first failure
 * — the client hanging up, a source breaking, archiver refusing — fails every later call.
 */
export class ZipStream {
  private readonly archive = new ZipArchive({ zlib: { level: 6 } });
  private failure: Error | null = null;
  private readonly failed: Promise<never>;
  private readonly piped: Promise<void>;
  private rejectFailed: (error: Error) => void = () => undefined;

  constructor(
    private readonly destination: Writable,
    /** The modification time every entry gets: the package's as-of instant, so equal packages have equal entries. */
    private readonly date: Date,
  ) {
    this.failed = new Promise<never>((_resolve, reject) => {
      this.rejectFailed = reject;
    });
    // Observed through add/finish; this keeps a failure with no call waiting from being "unhandled".
    this.failed.catch(() => undefined);
    this.archive.on('error', (error) => this.fail(error));
    this.archive.on('warning', (error) => this.fail(error));
    this.piped = pipeline(this.archive, destination);
    this.piped.catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.rejectFailed(error);
  }

  /** Writes one entry and waits until it is in the archive. */
  async add(name: string, source: Readable | Buffer | string): Promise<void> {
    if (this.failure !== null) {
      if (source instanceof Readable) source.destroy();
      throw this.failure;
    }
    let onEntry: () => void = () => undefined;
    const written = new Promise<void>((resolve) => {
      onEntry = resolve;
      // Entries are written one at a time, so the next `entry` event is this one.
      this.archive.once('entry', onEntry);
    });
    this.archive.append(source, { name, date: this.date });
    try {
      await Promise.race([written, this.failed]);
    } catch (error) {
      this.archive.off('entry', onEntry);
      if (source instanceof Readable) source.destroy();
      throw error;
    }
  }

  /** Writes the central directory and waits until the destination has all of it. */
  async finish(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    await Promise.race([this.archive.finalize(), this.failed]);
    await Promise.race([this.piped, this.failed]);
  }

  /**
   * Stops after a failure. The headers are long gone, so no error can be answered: the
   * destination is destroyed, and a client sees a connection cut before the zip's end.
   */
  abort(): void {
    this.archive.abort();
    this.destination.destroy();
  }
}
