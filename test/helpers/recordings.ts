import type { TestServer } from './test-server.js';

/** Polls a recording until it leaves `in-progress` (or the timeout passes) and returns it. */
export async function waitForRecording(server: TestServer, id: string, timeoutMs = 20_000, key?: string): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await server.api(`/recordings/${id}`, { key });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`GET recording ${id}: ${res.status} ${JSON.stringify(body)}`);
    if (body.status !== 'in-progress') return body;
    if (Date.now() > deadline) throw new Error(`recording ${id} still in-progress after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Uploads a body as raw audio and returns the parsed 201 response. */
export async function uploadAudio(server: TestServer, body: Buffer, contentType = 'audio/wav', query = ''): Promise<any> {
  const res = await server.api(`/recordings${query}`, { method: 'POST', body, headers: { 'content-type': contentType } });
  const json = await res.json();
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Downloads a URL into a Buffer, returning the response too. */
export async function download(url: string, init?: RequestInit): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(url, init);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}
