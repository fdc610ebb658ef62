import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import type { Recording } from '../../../src/recordings/recording.js';
import { WebhookPublisher } from '../../../src/webhooks/webhook-publisher.js';
import { withFreshMediaUrls } from '../../../src/webhooks/webhook-payload.js';
import { WebhookDeliverer } from '../../../src/webhooks/delivery.js';
import type { WebhookEndpoint } from '../../../src/webhooks/webhook.js';
import { memoryLogger, MemoryWebhookRepository, RecordingJobQueue } from './fakes.js';

const T0 = new Date('2026-03-01T12:00:00.000Z');

function endpoint(id: string, over: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return { id, accountId: 'AC1', url: `https://hooks.example/${id}`, events: null, secret: `whsec_${id}`, enabled: true, description: null, createdAt: T0, updatedAt: T0, ...over };
}

function recording(over: Partial<Recording> = {}): Recording {
  return {
    id: 'RE1', accountId: 'AC1', callId: 'CA1', status: 'completed', source: 'upload', channels: 1, sampleRate: 8000, durationMs: 1000, errorCode: null, errorMessage: null,
    dateCreated: T0, dateUpdated: T0, media: {}, details: {}, ...over,
  };
}

// Stands in for RecordingViewer.view: what matters is that the payload carries it verbatim.
const view = (r: Recording) => ({ id: r.id, status: r.status, media_url: 'https://rec.example/media/RE1.mp3?sig=old-mp3', media_urls: { wav: 'https://rec.example/media/RE1.wav?sig=old-wav', mp3: 'https://rec.example/media/RE1.mp3?sig=old-mp3' } });

describe('webhook fan-out', () => {
  let repo: MemoryWebhookRepository;
  let jobs: RecordingJobQueue;
  let log: ReturnType<typeof memoryLogger>;
  let publisher: WebhookPublisher;

  beforeEach(async () => {
    repo = new MemoryWebhookRepository();
    jobs = new RecordingJobQueue();
    log = memoryLogger();
    publisher = new WebhookPublisher({ repo, jobs, clock: new ManualClock(T0), log, viewRecording: view });
    await repo.insertEndpoint(endpoint('WHall'));
    await repo.insertEndpoint(endpoint('WHcompleted', { events: ['recording.completed'] }));
    await repo.insertEndpoint(endpoint('WHdeleted', { events: ['recording.deleted'] }));
    await repo.insertEndpoint(endpoint('WHoff', { enabled: false }));
    await repo.insertEndpoint(endpoint('WHother', { accountId: 'AC2' }));
  });

  it('makes one delivery per subscribed, enabled endpoint of the account, sharing one event, and queues each', async () => {
    await publisher.publish('recording.completed', recording());
    const rows = [...repo.deliveries.values()];
    expect(rows.map((d) => d.endpointId).sort()).toEqual(['WHall', 'WHcompleted']);
    expect(new Set(rows.map((d) => d.eventId)).size).toBe(1);
    expect(rows[0].eventId).toMatch(/^EV[0-9a-f]{32}$/);
    expect(rows.every((d) => d.status === 'pending' && d.attempts === 0 && d.nextAttemptAt?.getTime() === T0.getTime())).toBe(true);
    const body = JSON.parse(rows[0].payload);
    expect(body).toEqual({ id: rows[0].eventId, type: 'recording.completed', created_at: T0.toISOString(), data: { recording: view(recording()) } });
    expect(rows[1].payload).toBe(rows[0].payload);
    expect(jobs.sent.map((j) => j.opts.singletonKey).sort()).toEqual(rows.map((d) => `webhook:${d.id}:1`).sort());
  });

  it("adds the recording's status callback; a URL that is already an endpoint's gets the event once", async () => {
    await publisher.publish('recording.paused', recording({ details: { statusCallback: 'https://app.example/cb' } }));
    const rows = [...repo.deliveries.values()];
    expect(rows.map((d) => [d.endpointId, d.targetUrl])).toEqual([['WHall', 'https://hooks.example/WHall'], [null, 'https://app.example/cb']]);
    repo.deliveries.clear();
    await publisher.publish('recording.paused', recording({ details: { statusCallback: 'https://hooks.example/WHall' } }));
    expect([...repo.deliveries.values()].map((d) => d.endpointId)).toEqual(['WHall']);
  });

  it('skips an unusable status callback URL and says so', async () => {
    await publisher.publish('recording.paused', recording({ details: { statusCallback: 'ftp://app.example/cb' } }));
    expect([...repo.deliveries.values()].map((d) => d.endpointId)).toEqual(['WHall']);
    expect(log.lines.some((l) => l.level === 'warn' && /status callback/.test(l.msg ?? ''))).toBe(true);
  });

  it('a deleted recording carries no media URLs', async () => {
    await publisher.publish('recording.deleted', recording());
    const body = JSON.parse([...repo.deliveries.values()][0].payload);
    expect(body.data.recording).toEqual({ id: 'RE1', status: 'completed' });
  });

  it('never throws into the recording flow: a database failure is logged with the event', async () => {
    repo.failing.add('insertDeliveries');
    await expect(publisher.publish('recording.completed', recording())).resolves.toBeUndefined();
    expect(log.lines.some((l) => l.level === 'error' && (l.obj as any).event === 'recording.completed' && (l.obj as any).recordingId === 'RE1')).toBe(true);
  });

  it('a delivery whose job could not be queued stays pending, and the sweep queues it', async () => {
    jobs.failSends = 10;
    await publisher.publish('recording.completed', recording());
    expect(jobs.sent).toEqual([]);
    expect([...repo.deliveries.values()].every((d) => d.status === 'pending')).toBe(true);
    jobs.failSends = 0;
    const clock = new ManualClock(new Date(T0.getTime() + 61_000));
    const deliverer = new WebhookDeliverer({ repo, jobs, clock, log, retryBaseSeconds: 30, post: async () => ({ statusCode: 200, error: null }) });
    expect((await deliverer.sweep()).requeued).toBe(2);
  });

  it('no subscriber, no rows and no event', async () => {
    await publisher.publish('recording.failed', recording({ accountId: 'AC3' }));
    expect(repo.deliveries.size).toBe(0);
  });
});

describe('re-signing media URLs in a stored body', () => {
  it('replaces the media URLs and nothing else', () => {
    const body = JSON.stringify({ id: 'EV1', type: 'recording.completed', created_at: T0.toISOString(), data: { recording: { ...view(recording()), price: '0.0005', duration: 1 } } });
    const fresh = withFreshMediaUrls(body, (id, format) => `https://rec.example/media/${id}.${format}?sig=new`);
    const parsed = JSON.parse(fresh);
    expect(parsed.data.recording.media_urls).toEqual({ wav: 'https://rec.example/media/RE1.wav?sig=new', mp3: 'https://rec.example/media/RE1.mp3?sig=new' });
    expect(parsed.data.recording.media_url).toBe('https://rec.example/media/RE1.mp3?sig=new');
    expect(fresh.replaceAll('sig=new', 'sig=old-mp3').replace('RE1.wav?sig=old-mp3', 'RE1.wav?sig=old-wav')).toBe(body);
  });

  it('leaves bodies without media URLs, or that are not JSON, byte for byte', () => {
    const plain = '{"id":"EV1","data":{"recording":{"id":"RE1","status":"in-progress"}}}';
    expect(withFreshMediaUrls(plain, () => 'x')).toBe(plain);
    expect(withFreshMediaUrls('not json', () => 'x')).toBe('not json');
  });
});
