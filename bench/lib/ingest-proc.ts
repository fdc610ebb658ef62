// Process plumbing and /proc readings for the ingest benchmark: child processes with an
// IPC channel, CPU time and RSS of a pid, whole-machine CPU (so the share other processes
// took during a run is printed), and the kernel's UDP drop counters.
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { machineCpuSeconds, statCpuTimes } from './proc-cpu.js';

/** Starts a TypeScript entry point (through tsx) with an IPC channel; `nodeArgs` go first (e.g. --cpu-prof), `preloads` are imported after tsx. */
export function spawnTs(entry: string, env: Record<string, string> = {}, nodeArgs: string[] = [], preloads: string[] = [], stdout: 'ignore' | number = 'ignore'): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...preloads.flatMap((p) => ['--import', p]), entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  });
}

/** Resolves with the next IPC message of `child` that satisfies `accept`; rejects if the child exits first. */
export function nextMessage<T>(child: ChildProcess, accept: (m: any) => boolean, onOther?: (m: any) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: any) => {
      if (accept(m)) {
        cleanup();
        resolve(m as T);
      } else onOther?.(m);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child exited with ${code} before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Waits until `url` answers below 500, or throws after 60 s or when the child exits. */
export async function waitReady(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops a child with SIGTERM (SIGKILL after `graceMs`) and waits for it to exit. */
export function stopChild(child: ChildProcess, graceMs = 60_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** CPU time (user + system) of a process so far, ms (of its main thread only with `mainThreadOnly`); NaN when it is gone. */
export function processCpuMs(pid: number, mainThreadOnly = false): number {
  return statCpuTimes(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`).total * 1000;
}

/** Resident set size of a process, bytes; NaN when it is gone. */
export function processRssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Whole-machine CPU so far: busy and total time summed over all cores, ms. */
export function machineCpuMs(): { busy: number; total: number } {
  const { busy, total } = machineCpuSeconds();
  return { busy: busy * 1000, total: total * 1000 };
}

/** The kernel's UDP counters (all sockets on the machine): datagrams dropped for a full receive buffer, and all receive errors. */
export function udpDropCounters(): { rcvbufErrors: number; inErrors: number } {
  const lines = fs.readFileSync('/proc/net/snmp', 'latin1').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/).map(Number);
  return { rcvbufErrors: values[names.indexOf('RcvbufErrors')], inErrors: values[names.indexOf('InErrors')] };
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverage(): string {
  return fs.readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ');
}

/** One reading of everything the bench tracks over time. */
export interface ProcSample {
  atMs: number;
  cpuMs: Record<string, number>;
  rssBytes: Record<string, number>;
  machine: { busy: number; total: number };
  udp: { rcvbufErrors: number; inErrors: number };
}

/** Takes a sample of the named pids now; a name ending in `:main` reads that process's main thread only. */
export function sample(pids: Record<string, number>): ProcSample {
  const cpuMs: Record<string, number> = {};
  const rssBytes: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    cpuMs[name] = processCpuMs(pid, name.endsWith(':main'));
    rssBytes[name] = processRssBytes(pid);
  }
  return { atMs: Date.now(), cpuMs, rssBytes, machine: machineCpuMs(), udp: udpDropCounters() };
}

/** Samples the named pids every `everyMs` until stopped; windows are then cut from the samples. */
export class Sampler {
  readonly samples: ProcSample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: Record<string, number>, everyMs = 1000) {
    this.samples.push(sample(pids));
    this.timer = setInterval(() => this.samples.push(sample(this.pids)), everyMs);
  }

  /** Takes one more sample now and stops. */
  stop(): void {
    clearInterval(this.timer);
    this.samples.push(sample(this.pids));
  }

  /** The sample closest to `atMs`. */
  at(atMs: number): ProcSample {
    let best = this.samples[0];
    for (const s of this.samples) if (Math.abs(s.atMs - atMs) < Math.abs(best.atMs - atMs)) best = s;
    return best;
  }

  /** Figures over [fromMs, toMs]: CPU % of one core per pid, the machine's busy % (of all cores), peak RSS per pid, UDP drops. */
  window(fromMs: number, toMs: number): { seconds: number; cpuPercent: Record<string, number>; machineBusyPercent: number; cores: number; peakRss: Record<string, number>; rcvbufErrors: number } {
    const a = this.at(fromMs);
    const b = this.at(toMs);
    const seconds = (b.atMs - a.atMs) / 1000;
    const cpuPercent: Record<string, number> = {};
    const peakRss: Record<string, number> = {};
    for (const name of Object.keys(this.pids)) {
      cpuPercent[name] = ((b.cpuMs[name] - a.cpuMs[name]) / (seconds * 1000)) * 100;
      peakRss[name] = Math.max(...this.samples.filter((s) => s.atMs >= a.atMs && s.atMs <= b.atMs).map((s) => s.rssBytes[name]));
    }
    const total = b.machine.total - a.machine.total;
    const cores = total / (seconds * 1000);
    return { seconds, cpuPercent, machineBusyPercent: ((b.machine.busy - a.machine.busy) / total) * 100 * cores, cores, peakRss, rcvbufErrors: b.udp.rcvbufErrors - a.udp.rcvbufErrors };
  }
}

/** One event-loop stall of the service, as bench/lib/ingest-stall-probe.ts logs it. */
export interface Stall {
  /** Date.now() when the stall began. */
  at: number;
  ms: number;
  /** Of which the main thread was on a CPU, and runnable but waiting for a CPU. */
  runMs: number;
  waitMs: number;
}

/** Reads the stall log; empty when there is none. */
export function readStalls(file: string): Stall[] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Stall);
  } catch {
    return [];
  }
}

/** Count, longest and total of the stalls in [fromMs, toMs], with the total split into running / waiting for a CPU / blocked. */
export function summariseStalls(stalls: Stall[], fromMs: number, toMs: number): { count: number; maxMs: number; totalMs: number; runMs: number; waitMs: number; blockedMs: number } {
  const inWindow = stalls.filter((s) => s.at >= fromMs && s.at <= toMs);
  const sum = (f: (s: Stall) => number) => inWindow.reduce((a, s) => a + f(s), 0);
  const totalMs = sum((s) => s.ms);
  const runMs = sum((s) => Math.min(s.ms, s.runMs));
  const waitMs = sum((s) => Math.min(s.ms, s.waitMs));
  return { count: inWindow.length, maxMs: Math.max(0, ...inWindow.map((s) => s.ms)), totalMs, runMs, waitMs, blockedMs: Math.max(0, totalMs - runMs - waitMs) };
}
