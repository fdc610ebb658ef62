// The baseline of `npm run bench:streams`: a bare `ws` server in its own process that
// accepts the same connections and frames as the service and only counts them. The
// difference between its CPU and memory and the service's is what recording costs.
import http from 'node:http';
import { WebSocketServer } from 'ws';

let connections = 0;
let frames = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(req.url === '/stats' ? { connections, frames, bytes } : { status: 'ok' }));
});
const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 1024 * 1024 });
wss.on('connection', (ws) => {
  connections++;
  ws.on('message', (data: Buffer) => {
    frames++;
    bytes += data.length;
  });
  ws.on('error', () => ws.terminate());
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
