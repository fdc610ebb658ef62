import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import createClient from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { loadSeedSpec, seedValidators, SEED_SPEC_PATH } from '../helpers/seed-contract.js';
import { noise, pcmWav } from '../helpers/audio.js';
import { uploadAudio, waitForRecording } from '../helpers/recordings.js';
import type { paths } from '../generated/seed-api.js';

const seed = loadSeedSpec();

describe.skipIf(!seed)('the seed contract', () => {
  let server: TestServer;
  let validate: ReturnType<typeof seedValidators>;
  const ids: string[] = [];
  beforeAll(async () => {
    validate = seedValidators(seed);
    server = await startTestServer('sqlite+disk');
    ids.push((await uploadAudio(server, pcmWav(noise(8000, 1), 8000, 1), 'audio/wav', '?call_id=CA-contract')).id);
    ids.push((await waitForRecording(server, (await uploadAudio(server, pcmWav(noise(16000, 2), 8000, 2))).id)).id);
  });
  afterAll(async () => server?.close());

  it('every Recording the API returns satisfies the seed schema (Ajv, independent of our own schemas)', async () => {
    const list = await (await server.api('/recordings')).json();
    expect(validate.list(list)).toBeNull();
    for (const rec of list.recordings) expect(validate.recording(rec)).toBeNull();
    for (const id of ids) expect(validate.recording(await (await server.api(`/recordings/${id}`)).json())).toBeNull();
    // A recording still converting (no media yet) is valid too.
    const fresh = await uploadAudio(server, pcmWav(noise(8000, 3), 8000, 1));
    expect(validate.recording(fresh)).toBeNull();
    await waitForRecording(server, fresh.id);
  });

  it('a client generated from the seed file works by changing only the host', async () => {
    // Seed server: https://api.telefonie.com/v1/recordings — we keep the path, change the host.
    const seedServer = new URL(seed.servers[0].url);
    const client = createClient<paths>({ baseUrl: `${server.baseUrl}${seedServer.pathname}`, headers: { 'X-API-Key': server.account.apiKey } });
    const listed = await client.GET('/recordings', { params: { query: { call_id: 'CA-contract', page: 1, page_size: 10 } } });
    expect(listed.response.status).toBe(200);
    expect(listed.data!.total).toBe(1);
    expect(listed.data!.recordings![0].call_id).toBe('CA-contract');
    const got = await client.GET('/recordings/{recording_id}', { params: { path: { recording_id: ids[1] } } });
    expect(got.data).toMatchObject({ id: ids[1], status: 'completed', channels: 2 });
    expect(got.data!.media_url).toMatch(/^http/);
    const deleted = await client.DELETE('/recordings/{recording_id}', { params: { path: { recording_id: ids[1] } } });
    expect(deleted.response.status).toBe(204);
    const gone = await client.GET('/recordings/{recording_id}', { params: { path: { recording_id: ids[1] } } });
    expect(gone.response.status).toBe(404);
  });

  it('the committed client types match what openapi-typescript generates from the seed today', async () => {
    const generated = astToString(await openapiTS(fs.readFileSync(SEED_SPEC_PATH, 'utf8')));
    const committed = fs.readFileSync(path.resolve('test/generated/seed-api.ts'), 'utf8');
    const body = (s: string) => s.slice(s.indexOf('export interface paths'));
    expect(body(committed).trim()).toBe(body(generated).trim());
  });

  it('serves its own OpenAPI document, a superset of the seed, identical to the committed copy', async () => {
    const served = await (await fetch(`${server.baseUrl}/v1/recordings/openapi.json`)).json();
    const committed = JSON.parse(fs.readFileSync(path.resolve('openapi/openapi.json'), 'utf8'));
    expect(served).toEqual(committed);
    for (const [p, item] of Object.entries<any>(seed.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        expect(served.paths[p]?.[method]?.operationId, `${method} ${p}`).toBe(op.operationId);
      }
    }
    const ours = served.components.schemas.Recording;
    for (const [name, schema] of Object.entries<any>(seed.components.schemas.Recording.properties)) {
      expect(ours.properties[name], name).toBeDefined();
      expect(ours.properties[name].type).toBe(schema.type);
      if (schema.enum) expect(ours.properties[name].enum).toEqual(schema.enum);
    }
    for (const required of seed.components.schemas.Recording.required) expect(ours.required).toContain(required);
    expect(served.components.securitySchemes.ApiKeyAuth).toEqual(seed.components.securitySchemes.ApiKeyAuth);
  });
});
