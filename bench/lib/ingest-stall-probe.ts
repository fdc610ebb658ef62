// Preloaded into the service by the ingest benchmark (node --import): a 10 ms heartbeat
// on the service's event loop that notes every stall (a heartbeat more than
// STALL_PROBE_MIN_MS late) and, from /proc/self/task/<main thread>/schedstat, how the main
// thread spent it: running (JS or a synchronous call burning CPU), waiting for a CPU
// (runnable but not scheduled: the machine is oversubscribed) or neither (blocked in a
// synchronous system call such as fsync). The stalls go to STALL_PROBE_FILE as JSON lines,
// appended as they happen. Cost: one timer and one small /proc read per 10 ms.
import fs from 'node:fs';

const file = process.env.STALL_PROBE_FILE;
const minMs = Number(process.env.STALL_PROBE_MIN_MS ?? 100);
const schedstat = `/proc/self/task/${process.pid}/schedstat`;

/** Main thread's time on a CPU and waiting for one, ns, since it started. */
function sched(): { run: number; wait: number } {
  try {
    const [run, wait] = fs.readFileSync(schedstat, 'latin1').split(' ').map(Number);
    return { run, wait };
  } catch {
    return { run: NaN, wait: NaN };
  }
}

if (file) {
  const fd = fs.openSync(file, 'a');
  let lastAt = Date.now();
  let last = sched();
  const beat = setInterval(() => {
    const now = Date.now();
    const s = sched();
    const gap = now - lastAt;
    if (gap - 10 >= minMs) {
      const line = { at: lastAt, ms: gap - 10, runMs: (s.run - last.run) / 1e6, waitMs: (s.wait - last.wait) / 1e6 };
      fs.writeSync(fd, JSON.stringify(line) + '\n');
    }
    lastAt = now;
    last = s;
  }, 10);
  beat.unref();
}
