// npx tsx bench/lib/ingest-profile.ts <file.cpuprofile | dir> [fromSeconds toSeconds] [--top 30]
// Summarises a V8 CPU profile (node --cpu-prof) of the service over a time window (seconds
// after the profile started): self and inclusive time per function, so the per-packet cost
// can be attributed. `bench:ingest --profile` writes one directory per N holding the
// profiles of the service's threads (the main thread's is the largest; tsx's loader thread
// writes another) and window.json, the steady state, used when no window is given.
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self and inclusive ms per function within [fromS, toS] seconds after the profile started. */
export function summarise(profile: Profile, fromS: number, toS: number): { totalMs: number; self: Map<string, number>; inclusive: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url ? f.url.replace(/^file:\/\//, '').replace(/^.*\/(src|node_modules|bench)\//, '$1/') : '';
    return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let t = 0;
  let totalMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const dtMs = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const atS = t / 1e6;
    if (atS < fromS || atS > toS) continue;
    totalMs += dtMs;
    const leaf = byId.get(profile.samples[i])!;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dtMs);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + dtMs);
    }
  }
  return { totalMs, self, inclusive };
}

function print(title: string, m: Map<string, number>, totalMs: number, top: number): void {
  console.log(`\n${title}:`);
  for (const [name, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${name}`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
  let [file, from, to] = args;
  let windowFile = file.replace(/\.cpuprofile$/, '.window.json');
  if (fs.statSync(file).isDirectory()) {
    windowFile = `${file}/window.json`;
    file = fs
      .readdirSync(file)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => `${file}/${f}`)
      .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  }
  const profile: Profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  let window = { fromS: 0, toS: Infinity };
  if (from !== undefined) window = { fromS: Number(from), toS: Number(to ?? Infinity) };
  else if (fs.existsSync(windowFile)) window = JSON.parse(fs.readFileSync(windowFile, 'utf8'));
  const { totalMs, self, inclusive } = summarise(profile, window.fromS, window.toS);
  const idle = self.get('(idle)') ?? 0;
  console.log(`${file}: window ${window.fromS.toFixed(1)}-${Number.isFinite(window.toS) ? window.toS.toFixed(1) : 'end'} s, ${totalMs.toFixed(0)} ms sampled, ${(((totalMs - idle) / totalMs) * 100).toFixed(0)}% busy`);
  print('self time', self, totalMs, top);
  print('inclusive time', inclusive, totalMs, top);
}
