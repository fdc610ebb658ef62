// The ingest benchmark's baseline: a process that binds two UDP sockets per call on
// loopback, with the same receive buffer the service's RTP receiver asks for (256 KiB),
// and only counts the datagrams. Fed the identical packet stream, it shows what this
// machine's loopback UDP and Node's dgram cost before any recording work.
import dgram from 'node:dgram';

const RECV_BUFFER_BYTES = 256 * 1024;
let sockets: dgram.Socket[] = [];
let counts = new Uint32Array(0);

async function bindAll(n: number): Promise<number[]> {
  counts = new Uint32Array(n);
  sockets = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = dgram.createSocket('udp4');
    const slot = i;
    s.on('message', () => {
      counts[slot]++;
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.setRecvBufferSize(RECV_BUFFER_BYTES);
    sockets.push(s);
    ports.push(s.address().port);
  }
  return ports;
}

process.on('message', (msg: { cmd: 'bind'; sockets: number } | { cmd: 'counts' }) => {
  if (msg.cmd === 'bind') void bindAll(msg.sockets).then((ports) => process.send!({ type: 'bound', ports }));
  else if (msg.cmd === 'counts') process.send!({ type: 'counts', counts: Array.from(counts) });
});
process.on('disconnect', () => process.exit(0));
