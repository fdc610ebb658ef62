import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { DomainError } from '../../../src/errors.js';
import { WebhooksService } from '../../../src/webhooks/webhooks.service.js';
import { normalizeWebhookUrl, WEBHOOK_EVENT_TYPES } from '../../../src/webhooks/webhook.js';
import { MemoryWebhookRepository } from './fakes.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return `${err.kind}:${err.code}`;
    throw err;
  }
  return 'ok';
}

describe('webhook endpoints', () => {
  let service: WebhooksService;
  beforeEach(() => {
    service = new WebhooksService(new MemoryWebhookRepository(), new ManualClock(new Date('2026-03-01T00:00:00Z')));
  });

  it('accepts http and https URLs only, normalised', async () => {
    expect(normalizeWebhookUrl(' HTTPS://Example.COM:443/a b ')).toBe('https://example.com/a%20b');
    expect(normalizeWebhookUrl('http://127.0.0.1:8080/hook?x=1')).toBe('http://127.0.0.1:8080/hook?x=1');
    for (const url of ['ftp://example.com/', 'ws://example.com/', 'mailto:a@b.c', 'example.com/hook', '', 'https://u:p@example.com/', `https://example.com/${'a'.repeat(2048)}`]) {
      expect(await codeOf(service.create('AC1', { url })), url).toBe('invalid:invalid_webhook_url');
    }
  });

  it('validates events against the known list; null means all', async () => {
    expect(await codeOf(service.create('AC1', { url: 'https://a.example/', events: ['recording.exploded'] }))).toBe('invalid:invalid_event_type');
    expect(await codeOf(service.create('AC1', { url: 'https://a.example/', events: [] }))).toBe('invalid:invalid_event_type');
    const all = await service.create('AC1', { url: 'https://a.example/' });
    expect(all.events).toBeNull();
    const some = await service.create('AC1', { url: 'https://b.example/', events: ['recording.deleted', 'recording.deleted', 'recording.completed'] });
    expect(some.events).toEqual(['recording.deleted', 'recording.completed']);
    expect(WEBHOOK_EVENT_TYPES).toContain('recording.in-progress');
  });

  it('refuses a second webhook to the same URL in one account, not across accounts', async () => {
    await service.create('AC1', { url: 'https://a.example/hook' });
    expect(await codeOf(service.create('AC1', { url: 'https://A.example/hook' }))).toBe('conflict:webhook_url_taken');
    expect(await codeOf(service.create('AC2', { url: 'https://a.example/hook' }))).toBe('ok');
    const second = await service.create('AC1', { url: 'https://b.example/hook' });
    expect(await codeOf(service.update('AC1', second.id, { url: 'https://a.example/hook' }))).toBe('conflict:webhook_url_taken');
    expect(await codeOf(service.update('AC1', second.id, { url: 'https://b.example/hook', enabled: false }))).toBe('ok');
  });

  it('scopes every operation to the account', async () => {
    const w = await service.create('AC1', { url: 'https://a.example/hook' });
    for (const op of [service.get('AC2', w.id), service.update('AC2', w.id, {}), service.delete('AC2', w.id), service.rotateSecret('AC2', w.id)]) {
      expect(await codeOf(op)).toBe('not_found:webhook_not_found');
    }
    expect(await service.list('AC2')).toEqual([]);
  });

  it('the callback secret is created once and replaced on rotation', async () => {
    const first = await service.callbackSecret('AC1');
    expect((await service.callbackSecret('AC1')).secret).toBe(first.secret);
    const rotated = await service.rotateCallbackSecret('AC1');
    expect(rotated.secret).not.toBe(first.secret);
    expect((await service.callbackSecret('AC1')).secret).toBe(rotated.secret);
    expect((await service.callbackSecret('AC2')).secret).not.toBe(rotated.secret);
  });
});
