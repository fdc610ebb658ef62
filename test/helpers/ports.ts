import net from 'node:net';

// Ports handed out here lie below Linux's ephemeral range (32768-60999 by default). A port taken
// with listen(0) and released comes from that range, and in the gap before the server under test
// binds it any outgoing connection of a parallel test may be given it (CI once failed on exactly
// that: `listen EADDRINUSE` on a port freed a moment before). The kernel never assigns ports
// below the range on its own, so only another caller of this function could take ours.
const LOW = 10_000;
const HIGH = 20_000; // test servers' RTP ranges start at 20000

/** A TCP port on 127.0.0.1 that was free a moment ago and that the kernel will not hand out by itself. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found in ${LOW}-${HIGH - 1}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(false) : reject(err)));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
