// The baseline: a bare Fastify endpoint answering a small fixed JSON object, run as its
// own process exactly like the service, so both are measured under the same conditions.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const body = { id: 'RE0000000000000000000000000000000000', call_id: 'CA1', status: 'completed', duration: 61, channels: 2 };
app.get('/bare', async () => body);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('ready');
