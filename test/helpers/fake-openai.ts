/**
 * A local HTTP server speaking OpenAI's `POST /v1/audio/transcriptions` (multipart in,
 * verbose_json out), for testing the `openai` engine without a network.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Busboy from 'busboy';

export interface ReceivedRequest {
  path: string;
  authorization?: string;
  fields: Record<string, string[]>;
  file: Buffer;
  fileName?: string;
  fileType?: string;
}

export interface FakeOpenAi {
  /** Base URL to put in OPENAI_TRANSCRIPTION_URL (…/v1). */
  url: string;
  requests: ReceivedRequest[];
  /** Decides the answer for each request: status and JSON body. */
  respond: (req: ReceivedRequest) => { status: number; body: unknown };
  close(): Promise<void>;
}

/** Starts the fake on a loopback port. */
export async function startFakeOpenAi(respond: FakeOpenAi['respond']): Promise<FakeOpenAi> {
  const fake: FakeOpenAi = { url: '', requests: [], respond, close: async () => {} };
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/audio/transcriptions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const received: ReceivedRequest = { path: req.url, authorization: req.headers.authorization, fields: {}, file: Buffer.alloc(0) };
    const bb = Busboy({ headers: req.headers });
    const chunks: Buffer[] = [];
    bb.on('field', (name, value) => (received.fields[name] ??= []).push(value));
    bb.on('file', (_name, stream, info) => {
      received.fileName = info.filename;
      received.fileType = info.mimeType;
      stream.on('data', (c: Buffer) => chunks.push(c));
    });
    bb.on('close', () => {
      received.file = Buffer.concat(chunks);
      fake.requests.push(received);
      const { status, body } = fake.respond(received);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    req.pipe(bb);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}
