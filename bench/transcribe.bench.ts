// npm run bench:transcribe
// Word error rate and speed (multiple of real time per CPU core) of each available
// transcription engine on the fixture calls (flite voices, one per channel), at 16 kHz and at
// 8 kHz, beside a baseline measured in the same run: PocketSphinx with a faster single-pass
// profile (FAST_ARGS), the alternative the service's settings were chosen against.
// Engines: sphinx when pocketsphinx_continuous is installed; openai when
// OPENAI_TRANSCRIPTION_URL is set (with OPENAI_TRANSCRIPTION_MODEL / _API_KEY).
// Speed counts CPU seconds of this process and of the decoder processes it waits for, so it
// holds on a busy machine; wall time is printed too.
import fs from 'node:fs';
import { deinterleave } from '../src/media/mix.js';
import { mergeChannels } from '../src/transcription/merge.js';
import { OpenAiEngine } from '../src/transcription/openai-engine.js';
import { FAST_ARGS, SphinxEngine } from '../src/transcription/sphinx-engine.js';
import type { EngineSegment, TranscriptionEngine } from '../src/transcription/transcription-engine.js';
import { conversation, FIXTURE_CALLS, haveCommand, toolsOrSkip, wordErrors, type Conversation } from '../test/helpers/speech-fixtures.js';

const TICKS_PER_SECOND = 100; // Linux USER_HZ (getconf CLK_TCK)
const MODEL_DIR = process.env.SPHINX_MODEL_DIR || '/usr/share/pocketsphinx/model/en-us';
const SPHINX_BIN = process.env.SPHINX_BIN || 'pocketsphinx_continuous';

/** CPU seconds used so far by this process plus its reaped children (Linux /proc). */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat(5) (cutime, cstime) are at 13 and 14 after the command name.
    children = (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
  } catch {
    // not Linux: children not counted
  }
  return (own.user + own.system) / 1e6 + children;
}

interface Row {
  engine: string;
  rate: number;
  errors: number;
  words: number;
  audioSeconds: number;
  cpuSeconds: number;
  wallSeconds: number;
}

async function measure(name: string, engine: TranscriptionEngine, calls: Conversation[]): Promise<Row> {
  const row: Row = { engine: name, rate: calls[0].rate, errors: 0, words: 0, audioSeconds: 0, cpuSeconds: 0, wallSeconds: 0 };
  for (const call of calls) {
    const cpu0 = cpuSeconds();
    const wall0 = performance.now();
    const perChannel: Array<{ channel: number; segments: EngineSegment[] }> = [];
    // Channels one after the other, so CPU per core is measured without contention between them.
    for (const [i, samples] of deinterleave(call.samples, 2).entries()) {
      const result = await engine.transcribe({ samples, sampleRate: call.rate, language: 'en' });
      perChannel.push({ channel: i + 1, segments: result.segments });
    }
    row.cpuSeconds += cpuSeconds() - cpu0;
    row.wallSeconds += (performance.now() - wall0) / 1000;
    // Both channels' audio is decoded: real time counts each channel's length.
    row.audioSeconds += call.seconds * 2;
    // The merged conversation against the script in order: speaker order errors count too.
    const hypothesis = mergeChannels(perChannel).map((s) => s.text).join(' ');
    const e = wordErrors(call.turns.map((t) => t.text).join(' '), hypothesis);
    row.errors += e.errors;
    row.words += e.words;
  }
  return row;
}

function print(rows: Row[]): void {
  console.log('');
  console.log('engine                      rate    WER      words   audio s   CPU s   x real time/core   wall s');
  for (const r of rows) {
    console.log(
      `${r.engine.padEnd(26)}  ${String(r.rate / 1000).padStart(2)} kHz  ${((100 * r.errors) / r.words).toFixed(1).padStart(5)}%  ${`${r.errors}/${r.words}`.padStart(8)}  ${r.audioSeconds.toFixed(1).padStart(7)}  ${r.cpuSeconds.toFixed(1).padStart(6)}  ${(r.audioSeconds / r.cpuSeconds).toFixed(1).padStart(17)}  ${r.wallSeconds.toFixed(1).padStart(7)}`,
    );
  }
}

async function main(): Promise<void> {
  if (!toolsOrSkip(['flite', 'sox'], 'bench:transcribe')) return;
  const engines: Array<[string, TranscriptionEngine]> = [];
  if (haveCommand(SPHINX_BIN) && fs.existsSync(MODEL_DIR)) {
    engines.push(['sphinx-fast (baseline)', new SphinxEngine({ bin: SPHINX_BIN, modelDir: MODEL_DIR, decoderArgs: FAST_ARGS })]);
    engines.push(['sphinx', new SphinxEngine({ bin: SPHINX_BIN, modelDir: MODEL_DIR })]);
  } else console.warn(`[bench] sphinx skipped: ${SPHINX_BIN} or ${MODEL_DIR} missing (apt-get install pocketsphinx pocketsphinx-en-us)`);
  if (process.env.OPENAI_TRANSCRIPTION_URL) {
    engines.push(['openai', new OpenAiEngine({ url: process.env.OPENAI_TRANSCRIPTION_URL, model: process.env.OPENAI_TRANSCRIPTION_MODEL || 'whisper-1', apiKey: process.env.OPENAI_TRANSCRIPTION_API_KEY })]);
  } else console.warn('[bench] openai skipped: set OPENAI_TRANSCRIPTION_URL (and _MODEL, _API_KEY) to measure an OpenAI-compatible server');
  if (engines.length === 0) return;

  const rows: Row[] = [];
  for (const rate of [16000, 8000]) {
    const calls = FIXTURE_CALLS.map((turns) => conversation(turns, rate));
    const seconds = calls.reduce((s, c) => s + c.seconds, 0);
    console.log(`[bench] ${calls.length} calls at ${rate / 1000} kHz, ${seconds.toFixed(1)} s of stereo audio (${calls.reduce((n, c) => n + c.turns.length, 0)} turns)`);
    for (const [name, engine] of engines) {
      const row = await measure(name, engine, calls);
      rows.push(row);
      console.log(`[bench] ${name} at ${rate / 1000} kHz: WER ${((100 * row.errors) / row.words).toFixed(1)}%, ${(row.audioSeconds / row.cpuSeconds).toFixed(1)}x real time per core`);
    }
  }
  print(rows);
  const tuned = rows.find((r) => r.engine === 'sphinx' && r.rate === 16000);
  if (tuned) {
    const wer = (100 * tuned.errors) / tuned.words;
    const speed = tuned.audioSeconds / tuned.cpuSeconds;
    console.log(`\nsphinx targets at 16 kHz: WER <= 15% (${wer.toFixed(1)}%: ${wer <= 15 ? 'met' : 'MISSED'}), >= 5x real time per core (${speed.toFixed(1)}x: ${speed >= 5 ? 'met' : 'MISSED'})`);
  }
}

await main();
