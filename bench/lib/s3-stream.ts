import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../test/helpers/ports.js';

/** A throwaway s3rver on a loopback port, with one bucket; returns its STORAGE_URL. */
export async function startS3rver(): Promise<{ storageUrl: string; endpoint: string; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-s3-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['node_modules/s3rver/bin/s3rver.js', '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', '--allow-mismatched-signatures'], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
  client.destroy();
  return {
    storageUrl: `s3://S3RVER:S3RVER@bench?endpoint=${encodeURIComponent(endpoint)}&force_path_style=true&region=us-east-1`,
    endpoint,
    async stop() {
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How a benchmark downloads: Node's own fetch (in this process), or curl (a process of its own). */
export type DownloadClient = 'fetch' | 'curl';

/** Downloads a URL to nowhere and returns the throughput in MB/s. */
export async function timeDownload(url: string, client: DownloadClient = 'fetch'): Promise<{ mbPerSec: number; bytes: number; ms: number }> {
  if (client === 'curl') return curlDownload(url);
  const t0 = performance.now();
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  const ms = performance.now() - t0;
  return { mbPerSec: bytes / 1e6 / (ms / 1000), bytes, ms };
}

/** Whether curl can be run here. */
export function hasCurl(): boolean {
  return spawnSync('curl', ['--version']).status === 0;
}

/** curl's own timing of a download to /dev/null (from sending the request to the last byte). */
async function curlDownload(url: string): Promise<{ mbPerSec: number; bytes: number; ms: number }> {
  const child = spawn('curl', ['--silent', '--show-error', '--fail', '--output', '/dev/null', '--write-out', '%{size_download} %{time_total}', url]);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`curl ${url}: exit ${code} ${err.trim()}`);
  const [bytes, seconds] = out.trim().split(' ').map(Number);
  return { mbPerSec: bytes / 1e6 / seconds, bytes, ms: seconds * 1000 };
}
