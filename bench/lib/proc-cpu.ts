import fs from 'node:fs';

/** Clock ticks per second of /proc's CPU counters (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

/** CPU seconds a process (or thread) has used, from a /proc stat file: user + system, and system alone; NaN once it is gone or off Linux. */
export function statCpuTimes(statFile: string): { total: number; system: number } {
  let stat: string;
  try {
    stat = fs.readFileSync(statFile, 'utf8');
  } catch {
    return { total: Number.NaN, system: Number.NaN };
  }
  // Fields after the parenthesised command name (which may itself hold spaces); utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { total: (Number(fields[11]) + Number(fields[12])) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

/** CPU seconds (user + system) a process has used so far; NaN once it has exited. */
export function cpuSeconds(pid: number): number {
  return statCpuTimes(`/proc/${pid}/stat`).total;
}

/**
 * CPU seconds used so far by every live process of one command name ("postgres"): the
 * server's work for all its clients. Processes that exit between two readings take their
 * share with them, so compare readings taken while the same backends live.
 */
export function commandCpuSeconds(command: string): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const file = `/proc/${entry}/stat`;
    let head: string;
    try {
      head = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (head.slice(head.indexOf('(') + 1, head.lastIndexOf(')')) === command) total += statCpuTimes(file).total || 0;
  }
  return total;
}

/** CPU seconds of the whole machine so far, summed over all cores: busy, and in all. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal; guest time is already counted in user.
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

/** CPU seconds of the whole machine so far (all cores, busy only). */
export function machineBusySeconds(): number {
  return machineCpuSeconds().busy;
}

/**
 * Waits until the whole machine is quiet (less than `cores` of a core busy over a whole
 * `windowMs`), so that work left from a previous phase does not weigh on the next measurement:
 * the API's audit writer draining its backlog, PostgreSQL's autovacuum after the audit inserts.
 * Resolves with the seconds waited; gives up after `timeoutMs`.
 */
export async function waitForQuietMachine(opts: { cores?: number; windowMs?: number; timeoutMs?: number } = {}): Promise<number> {
  const { cores = 0.1, windowMs = 500, timeoutMs = 60_000 } = opts;
  const started = performance.now();
  for (;;) {
    const before = machineBusySeconds();
    await new Promise((r) => setTimeout(r, windowMs));
    const busy = machineBusySeconds() - before;
    const waited = (performance.now() - started) / 1000;
    if (busy < cores * (windowMs / 1000) || waited * 1000 >= timeoutMs) return waited;
  }
}
