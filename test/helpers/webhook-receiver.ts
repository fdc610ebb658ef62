import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';

/** The README's verification snippet, loaded from the README itself so the docs cannot drift from what works. */
export type Verifier = (secret: string, signatureHeader: string | undefined, rawBody: string | Buffer, toleranceSeconds?: number) => boolean;

let readmeVerifier: Promise<Verifier> | undefined;

/** Extracts the first ```js block of the README's "## Webhooks" section and imports it. */
export function loadReadmeVerifier(): Promise<Verifier> {
  readmeVerifier ??= (async () => {
    const readme = fs.readFileSync(path.resolve('README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Webhooks'));
    const match = /```js\n([\s\S]*?)```/.exec(section);
    if (!match) throw new Error('README "## Webhooks" has no ```js verification snippet');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-readme-'));
    const file = path.join(dir, 'verify.mjs');
    fs.writeFileSync(file, match[1]);
    try {
      const mod = await import(pathToFileURL(file).href);
      if (typeof mod.verifyTelefonieSignature !== 'function') throw new Error('the README snippet must export verifyTelefonieSignature');
      return mod.verifyTelefonieSignature as Verifier;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  })();
  return readmeVerifier;
}

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  event: { id: string; type: string; created_at: string; data: any };
  verified: boolean;
  /** What the receiver answered. */
  status: number;
  /** 1 for the first request of this event at this path. */
  attempt: number;
}

/**
 * A webhook receiver on 127.0.0.1, as a customer would write one: it checks every signature
 * with the README snippet, fails the first `failuresPerEvent` requests of each event with 500,
 * then answers 200, and processes each event id once (later copies are counted as duplicates).
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Events processed, per path, in the order they were processed (after de-duplication). */
  readonly processed = new Map<string, ReceivedRequest[]>();
  duplicates = 0;
  /** Runs on every verified request before it is answered (e.g. to download the media it names). */
  onRequest?: (request: ReceivedRequest) => Promise<void>;
  private readonly secrets = new Map<string, string>();
  private readonly attempts = new Map<string, number>();
  private server?: http.Server;
  private port = 0;

  constructor(
    /** The README check, for tests that tamper with what was received. */
    readonly verify: Verifier,
    readonly failuresPerEvent = 2,
  ) {}

  /** Starts listening on a free loopback port. */
  static async start(failuresPerEvent = 2): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(await loadReadmeVerifier(), failuresPerEvent);
    await receiver.listen();
    return receiver;
  }

  url(pathname: string): string {
    return `http://127.0.0.1:${this.port}${pathname}`;
  }

  /** The secret requests to `pathname` must be signed with. */
  setSecret(pathname: string, secret: string): void {
    this.secrets.set(pathname, secret);
  }

  /** Processed events at a path, optionally only those about one recording. */
  events(pathname: string, recordingId?: string): ReceivedRequest[] {
    return (this.processed.get(pathname) ?? []).filter((r) => recordingId === undefined || r.event.data?.recording?.id === recordingId);
  }

  /** Polls until `predicate` holds. */
  async waitFor(predicate: () => boolean, timeoutMs = 30_000, what = 'webhook condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(this.requests.map((r) => [r.path, r.event.type, r.status]))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req, Buffer.concat(chunks).toString('utf8')).then(
          (status) => res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try again'),
          (err) => res.writeHead(599).end(String(err)),
        );
      });
    });
    return new Promise((resolve) => {
      this.server!.listen(0, '127.0.0.1', () => {
        this.port = (this.server!.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async handle(req: http.IncomingMessage, body: string): Promise<number> {
    const pathname = (req.url ?? '/').split('?')[0];
    const secret = this.secrets.get(pathname);
    const header = req.headers['telefonie-signature'] as string | undefined;
    const verified = secret !== undefined && this.verify(secret, header, body);
    let event: ReceivedRequest['event'];
    try {
      event = JSON.parse(body);
    } catch {
      event = { id: '', type: '', created_at: '', data: null };
    }
    const key = `${pathname} ${event.id}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const status = !verified ? 401 : attempt <= this.failuresPerEvent ? 500 : 200;
    const request: ReceivedRequest = { path: pathname, headers: req.headers, body, event, verified, status, attempt };
    this.requests.push(request);
    if (verified) await this.onRequest?.(request);
    if (status === 200) {
      const seen = this.processed.get(pathname) ?? [];
      if (seen.some((r) => r.event.id === event.id)) this.duplicates++;
      else seen.push(request);
      this.processed.set(pathname, seen);
    }
    return status;
  }
}
