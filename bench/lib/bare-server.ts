// The baseline: a bare Fastify endpoint run as its own process exactly like the service.
// It answers GET /bare/:id with a fixed Recording-shaped JSON body of the same size as the
// service's, so the load generator does the same work for both and the difference is ours.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const body = {
  id: 'RE00000000000000000000000000001388',
  call_id: 'CA2500',
  account_id: 'AC01a21e215cc49a223abf87ad91b8991f',
  status: 'completed',
  duration: 61,
  channels: 2,
  source: 'upload',
  price: '0.0010',
  price_unit: 'USD',
  date_created: '2026-01-01T00:00:00.000Z',
  date_updated: '2026-01-01T00:00:00.000Z',
  sample_rate: 8000,
  media_url: 'http://127.0.0.1:9913/v1/recordings/media/RE00000000000000000000000000001388.mp3?expires=1795805068&signature=TSf1BX3EriM-ufFpfDhuM59OhkYFjdFMPJvN5yNQvnM',
  media_urls: {
    wav: 'http://127.0.0.1:9913/v1/recordings/media/RE00000000000000000000000000001388.wav?expires=1795805068&signature=omftlZiQuETERlWMzWq2F7-sSW3JQD6F7nKbM5pztdE',
    mp3: 'http://127.0.0.1:9913/v1/recordings/media/RE00000000000000000000000000001388.mp3?expires=1795805068&signature=TSf1BX3EriM-ufFpfDhuM59OhkYFjdFMPJvN5yNQvnM',
  },
};
app.get('/bare/:id', async () => body);
// Calibration: the same answer after `us` microseconds of synchronous work, i.e. what a
// fixed per-request cost beyond Fastify's does to req/s with the load generator on the same cores.
app.get<{ Params: { us: string } }>('/bare-busy/:us/:id', async (request) => {
  const until = performance.now() + Number(request.params.us) / 1000;
  while (performance.now() < until);
  return body;
});
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGINT', () => process.exit(0));
