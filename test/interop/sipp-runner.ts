/**
 * Runs the real sipp binary (Debian package sip-tester) for the interop suite: finds it,
 * picks free local ports, runs one scenario to completion and collects what it wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Absolute path of an executable on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Why the sipp suite cannot run here, or undefined when it can. sipp plays pcap files
 * through a raw socket, which needs root (CAP_NET_RAW).
 */
export function sippUnavailableReason(): string | undefined {
  if (!findOnPath('sipp')) return 'sipp is not on PATH (Debian: apt-get install sip-tester)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'sipp plays RTP from pcap files through a raw socket, which needs root';
  return undefined;
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * An even port P in [min, max) with UDP P..P+span-1 free (and TCP P free), a moment ago.
 * sipp binds its SIP port and, from -mp on, its media ports; parallel test files must
 * not hand two sipp processes the same ones.
 */
export async function freeUdpBlock(span: number, min = 10000, max = 19000): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = min + 2 * Math.floor((Math.random() * (max - min - span)) / 2);
    let ok = await tcpFree(base);
    for (let p = base; ok && p < base + span; p++) ok = await udpFree(p);
    if (ok) return base;
  }
  throw new Error(`no block of ${span} free UDP ports in ${min}-${max}`);
}

/** What one sipp run left behind. */
export interface SippResult {
  /** sipp's exit status: 0 = every call passed, 1 = a call failed, 97/99/-1 = other ends. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Contents of the trace files sipp wrote into its working directory, by suffix (`errors`, `logs`, `messages`). */
  traces: Record<string, string>;
}

/** A sipp process running one scenario; `done` resolves when it exits. */
export interface SippRun {
  child: ChildProcess;
  done: Promise<SippResult>;
}

/** Starts sipp in `cwd` (where it writes its traces and finds files the scenario names). */
export function startSipp(args: string[], cwd: string): SippRun {
  const child = spawn(findOnPath('sipp') ?? 'sipp', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<SippResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      const traces: Record<string, string> = {};
      for (const f of fs.readdirSync(cwd)) {
        const m = /_(\d+)_(errors|logs|messages)\.log$/.exec(f);
        if (m && Number(m[1]) === child.pid) traces[m[2]] = fs.readFileSync(path.join(cwd, f), 'utf8');
      }
      resolve({ code, signal, stdout, stderr, traces });
    };
    child.once('error', (err) => {
      stderr += String(err);
      finish(-1, null);
    });
    child.once('exit', finish);
  });
  return { child, done };
}

/** One readable paragraph about a sipp run, for assertion messages. */
export function describeSippRun(r: SippResult): string {
  return [
    `sipp exited with code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}`,
    r.stderr.trim() && `stderr:\n${r.stderr.trim()}`,
    r.traces.errors && `errors log:\n${r.traces.errors.trim()}`,
    r.traces.logs && `scenario log:\n${r.traces.logs.trim()}`,
  ]
    .filter(Boolean)
    .join('\n');
}
