import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';

/** Starts an entry point (bin/serve, bin/server.cjs, or a TypeScript file) in its own process and resolves once `readyUrl` answers. */
export function startProcess(entry: string, env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  return startNodeProcess(entry, env, readyUrl);
}

/**
 * Starts a TypeScript entry point in its own process with extra Node flags (e.g. --cpu-prof),
 * its stdout (the JSON log) appended to `logFile` when given; resolves once `readyUrl` answers.
 */
export async function startNodeProcess(entry: string, env: Record<string, string>, readyUrl: string, nodeArgs: string[] = [], logFile?: string): Promise<ChildProcess> {
  const stdout = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  // bin/serve (what `npm start` runs) is a shell script that execs node with node's flags as its
  // arguments; bin/*.cjs entries load tsx themselves (after sizing the threadpool); .ts files need it here.
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const [command, args] = entry === 'bin/serve' ? ['sh', [entry, ...nodeArgs]] : [process.execPath, [...nodeArgs, ...loader, entry]];
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'inherit'] });
  if (typeof stdout === 'number') fs.closeSync(stdout);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    try {
      const res = await fetch(readyUrl);
      if (res.status < 500) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${entry} did not answer at ${readyUrl}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops a child and waits for it to exit. */
export function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
