import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { download, uploadAudio, waitForRecording } from '../helpers/recordings.js';
import { interleaveChannels, pcmWav, readPcmWav, channelsOf, sine, toneStrength } from '../helpers/audio.js';
import { startFakeOpenAi, type FakeOpenAi, type ReceivedRequest } from '../helpers/fake-openai.js';

const RATE = 16000;
const SECONDS = 14;

/** Which channel an uploaded file is: channel 1 carries 440 Hz, channel 2 880 Hz. */
function channelOf(req: ReceivedRequest): 1 | 2 {
  const { samples, sampleRate } = readPcmWav(req.file);
  return toneStrength(samples, 440, sampleRate) > toneStrength(samples, 880, sampleRate) ? 1 : 2;
}

function words(text: string, start: number, end: number) {
  const list = text.split(' ');
  const step = (end - start) / list.length;
  return list.map((w, i) => ({ word: w, start: start + i * step, end: start + (i + 1) * step, probability: 0.9 }));
}

/** OpenAI's own shape: segments without words, one top-level word list. */
const ANSWERS: Record<1 | 2, unknown> = {
  1: {
    language: 'english',
    duration: SECONDS,
    text: 'Thank you for calling. Can I have the card number please?',
    segments: [
      { id: 0, start: 0.5, end: 2.0, text: ' Thank you for calling.', avg_logprob: -0.2 },
      { id: 1, start: 5.0, end: 8.0, text: ' Can I have the card number please?', avg_logprob: -0.1 },
    ],
    words: [...words('Thank you for calling.', 0.5, 2.0), ...words('Can I have the card number please?', 5.0, 8.0)],
  },
  // whisper.cpp / faster-whisper shape: words inside each segment.
  2: {
    language: 'en',
    duration: SECONDS,
    text: 'Hi, I need help with my bill. It is 4111 1111 1111 1111 and the security code is 123. Not 4111 1111 1111 1112.',
    segments: [
      { start: 2.5, end: 4.5, text: ' Hi, I need help with my bill.', words: words('Hi, I need help with my bill.', 2.5, 4.5) },
      { start: 8.5, end: 12.0, text: ' It is 4111 1111 1111 1111 and the security code is 123.', words: words('It is 4111 1111 1111 1111 and the security code is 123.', 8.5, 12.0) },
      { start: 12.2, end: 13.5, text: ' Not 4111 1111 1111 1112.', words: words('Not 4111 1111 1111 1112.', 12.2, 13.5) },
    ],
  },
};

function stereoCall(): Buffer {
  return pcmWav(interleaveChannels(sine(440, SECONDS, RATE, 6000), sine(880, SECONDS, RATE, 6000)), RATE, 2);
}

async function waitForTranscript(server: TestServer, id: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await server.api(`/recordings/${id}/transcription`);
    const body = await res.json();
    if (res.status !== 200) throw new Error(`GET transcription: ${res.status} ${JSON.stringify(body)}`);
    if (body.status === 'completed' || body.status === 'failed') return body;
    if (Date.now() > deadline) throw new Error(`transcript of ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe.each(backendNames())('transcription with the openai engine (%s)', (backend) => {
  let server: TestServer;
  let fake: FakeOpenAi;
  let recordingId: string;
  let transcript: any;

  beforeAll(async () => {
    fake = await startFakeOpenAi((req) => {
      if (req.authorization !== 'Bearer sk-test-key') return { status: 401, body: { error: { message: 'Incorrect API key provided' } } };
      return { status: 200, body: ANSWERS[channelOf(req)] };
    });
    server = await startTestServer(backend, {
      env: { TRANSCRIPTION_ENGINE: 'openai', OPENAI_TRANSCRIPTION_URL: fake.url, OPENAI_TRANSCRIPTION_MODEL: 'whisper-large-v3', OPENAI_TRANSCRIPTION_API_KEY: 'sk-test-key' },
    });
    const webhook = await server.api('/webhooks', json({ url: `${fake.url}/hooks`, events: ['transcription.completed', 'transcription.failed'] }));
    expect(webhook.status).toBe(201);
    const created = await uploadAudio(server, stereoCall(), 'audio/wav', '?call_id=CA-openai');
    recordingId = created.id;
    await waitForRecording(server, recordingId);
    // The parties, as SIPREC metadata would name them.
    const rec = await server.app.repo.findByIdUnscoped(recordingId);
    await server.app.repo.update(recordingId, { details: { ...rec!.details, channelMap: [{ channel: 1, participant: { name: 'Agent Alice' } }, { channel: 2, participant: { aor: 'sip:bob@example.com' } }] } }, new Date());
    const res = await server.api(`/recordings/${recordingId}/transcription`, json({ redact: true, redact_audio: true }));
    expect(res.status).toBe(202);
    expect((await res.json()).status).toBe('queued');
    transcript = await waitForTranscript(server, recordingId);
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it('sends each channel as multipart with model, verbose_json, word and segment timestamps, language and the key', () => {
    expect(fake.requests).toHaveLength(2);
    for (const req of fake.requests) {
      expect(req.authorization).toBe('Bearer sk-test-key');
      expect(req.fields.model).toEqual(['whisper-large-v3']);
      expect(req.fields.response_format).toEqual(['verbose_json']);
      expect(req.fields['timestamp_granularities[]']).toEqual(['word', 'segment']);
      expect(req.fields.language).toEqual(['en']);
      expect(req.fileType).toBe('audio/wav');
      const wav = readPcmWav(req.file);
      expect(wav.channels).toBe(1);
      expect(wav.sampleRate).toBe(RATE);
    }
    expect(new Set(fake.requests.map(channelOf))).toEqual(new Set([1, 2]));
  });

  it('merges both channels into one conversation in time order with speakers from channel_map', () => {
    expect(transcript.status).toBe('completed');
    expect(transcript.engine).toBe('openai');
    expect(transcript.language).toBe('en');
    const order = transcript.segments.map((s: any) => [s.channel, s.speaker, s.start]);
    expect(order).toEqual([
      [1, 'Agent Alice', 0.5],
      [2, 'sip:bob@example.com', 2.5],
      [1, 'Agent Alice', 5],
      [2, 'sip:bob@example.com', 8.5],
      [2, 'sip:bob@example.com', 12.2],
    ]);
    for (const s of transcript.segments) {
      expect(s.words.length).toBeGreaterThan(0);
      expect(s.confidence).toBeGreaterThan(0);
      for (const w of s.words) {
        expect(w.start).toBeGreaterThanOrEqual(s.start - 0.01);
        expect(w.end).toBeLessThanOrEqual(s.end + 0.01);
        expect(w).toHaveProperty('confidence');
      }
    }
    expect(transcript.text.split('\n')[0]).toBe('Thank you for calling.');
  });

  it('redacts the Luhn-valid card number and the security code, not the invalid number, with offsets', () => {
    expect(transcript.redacted).toBe(true);
    expect(transcript.text).toContain('It is [REDACTED:credit_card] and the security code is [REDACTED:security_code].');
    expect(transcript.text).toContain('Not 4111 1111 1111 1112.');
    expect(transcript.text).not.toContain('4111 1111 1111 1111');
    expect(transcript.redactions.map((r: any) => r.type)).toEqual(['credit_card', 'security_code']);
    for (const r of transcript.redactions) {
      expect(transcript.text.slice(r.text_start, r.text_end)).toBe(`[REDACTED:${r.type}]`);
      expect(r.channel).toBe(2);
      expect(r.end).toBeGreaterThan(r.start);
    }
    const seg = transcript.segments[3];
    expect(seg.words.map((w: any) => w.word)).toContain('[REDACTED:credit_card]');
  });

  it('serves redacted audio with the redacted spans silenced on both channels, and keeps the original', async () => {
    const card = transcript.redactions[0];
    const recording = await (await server.api(`/recordings/${recordingId}`)).json();
    expect(recording.transcription_status).toBe('completed');
    expect(recording.transcription_url).toBe(`/v1/recordings/recordings/${recordingId}/transcription`);
    expect(recording.media_urls.wav_redacted).toContain(`/media/${recordingId}.redacted.wav?`);
    expect(transcript.media_urls.wav).toContain('.redacted.wav');
    const redacted = await download(recording.media_urls.wav_redacted, { redirect: 'follow' });
    expect(redacted.res.status).toBe(200);
    const { samples } = readPcmWav(redacted.body);
    const [left, right] = channelsOf(samples, 2);
    const inside = Math.round(((card.start + card.end) / 2) * RATE);
    expect(left.subarray(inside - 400, inside + 400).every((s) => s === 0)).toBe(true);
    expect(right.subarray(inside - 400, inside + 400).every((s) => s === 0)).toBe(true);
    expect(toneStrength(left.subarray(0, RATE), 440, RATE)).toBeGreaterThan(1000);
    const original = readPcmWav((await download(recording.media_urls.wav, { redirect: 'follow' })).body);
    expect(channelsOf(original.samples, 2)[0].subarray(inside - 400, inside + 400).some((s) => s !== 0)).toBe(true);
    const mp3 = await download(recording.media_urls.mp3_redacted, { redirect: 'follow' });
    expect(mp3.res.status).toBe(200);
    expect(mp3.body.length).toBeGreaterThan(1000);
  });

  it('renders plain text, WebVTT and SRT by ?format= and by Accept', async () => {
    const txt = await server.api(`/recordings/${recordingId}/transcription?format=txt`);
    expect(txt.headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await txt.text()).split('\n')[1]).toBe('sip:bob@example.com: Hi, I need help with my bill.');
    const vtt = await server.api(`/recordings/${recordingId}/transcription`, { headers: { accept: 'text/vtt' } });
    expect(vtt.headers.get('content-type')).toMatch(/^text\/vtt/);
    const vttText = await vtt.text();
    expect(vttText.startsWith('WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\n<v Agent Alice>Thank you for calling.')).toBe(true);
    const srt = await (await server.api(`/recordings/${recordingId}/transcription?format=srt`)).text();
    expect(srt).toContain('2\n00:00:02,500 --> 00:00:04,500\nsip:bob@example.com: Hi, I need help with my bill.\n');
    expect((await server.api(`/recordings/${recordingId}/transcription`, { headers: { accept: 'application/x-subrip' } })).headers.get('content-type')).toMatch(/subrip/);
  });

  it('finds the recording by words of its transcript, with a snippet, combined with filters and paging', async () => {
    const other = await uploadAudio(server, stereoCall(), 'audio/wav', '?call_id=CA-other');
    await waitForRecording(server, other.id);
    const found = await (await server.api('/recordings?q=bill')).json();
    expect(found.total).toBe(1);
    expect(found.recordings[0].id).toBe(recordingId);
    expect(found.recordings[0].snippet).toContain('<mark>bill</mark>');
    expect((await (await server.api('/recordings?q=help%20bill')).json()).total).toBe(1);
    expect((await (await server.api('/recordings?q=bill%20zebra')).json()).total).toBe(0);
    expect((await (await server.api('/recordings?q=redacted')).json()).total).toBe(1);
    expect((await (await server.api('/recordings?q=4111')).json()).recordings.map((r: any) => r.id)).toEqual([recordingId]);
    expect((await (await server.api('/recordings?q=bill&call_id=CA-other')).json()).total).toBe(0);
    expect((await (await server.api('/recordings?q=bill&status=completed&page=2&page_size=1')).json()).recordings).toEqual([]);
    const all = await (await server.api('/recordings')).json();
    expect(all.total).toBe(2);
    expect(all.recordings.every((r: any) => r.snippet === undefined)).toBe(true);
    // Another account never sees it.
    const stranger = await server.app.accounts.createAccount('stranger');
    expect((await (await server.api('/recordings?q=bill', { key: stranger.apiKey })).json()).total).toBe(0);
    expect((await server.api(`/recordings/${recordingId}/transcription`, { key: stranger.apiKey })).status).toBe(404);
  });

  it('publishes transcription.completed as a webhook event', async () => {
    const deliveries = await (await server.api('/webhook-deliveries?event_type=transcription.completed')).json();
    expect(deliveries.total).toBeGreaterThanOrEqual(1);
  });

  it('fails with engine_rejected when the server refuses the key, leaving the recording untouched', async () => {
    const before = await (await server.api(`/recordings/${recordingId}`)).json();
    const saved = fake.respond;
    fake.respond = () => ({ status: 401, body: { error: { message: 'Incorrect API key provided' } } });
    try {
      expect((await server.api(`/recordings/${recordingId}/transcription`, json({}))).status).toBe(202);
      const failed = await waitForTranscript(server, recordingId);
      expect(failed.status).toBe('failed');
      expect(failed.error_code).toBe('engine_rejected');
      expect(failed.error_message).toMatch(/OPENAI_TRANSCRIPTION_API_KEY/);
    } finally {
      fake.respond = saved;
    }
    const after = await (await server.api(`/recordings/${recordingId}`)).json();
    expect(after.status).toBe('completed');
    expect(after.transcription_status).toBe('failed');
    expect(after.duration).toBe(before.duration);
    expect(after.media_urls.wav_redacted).toBeUndefined();
    const deliveries = await (await server.api('/webhook-deliveries?event_type=transcription.failed')).json();
    expect(deliveries.total).toBeGreaterThanOrEqual(1);
  });

  it('deletes the transcript; the recording stays and loses its link', async () => {
    expect((await server.api(`/recordings/${recordingId}/transcription`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api(`/recordings/${recordingId}/transcription`)).status).toBe(404);
    expect((await server.api(`/recordings/${recordingId}/transcription`, { method: 'DELETE' })).status).toBe(404);
    const rec = await (await server.api(`/recordings/${recordingId}`)).json();
    expect(rec.status).toBe('completed');
    expect(rec.transcription_status).toBeUndefined();
    expect((await (await server.api('/recordings?q=bill')).json()).total).toBe(0);
  });
});
