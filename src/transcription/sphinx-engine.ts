import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resample } from '../media/resample.js';
import { encodeWav } from '../media/wav.js';
import { EngineError, meanConfidence, round3, type EngineInput, type EngineResult, type EngineSegment, type EngineWord, type TranscriptionEngine } from './transcription-engine.js';

export interface SphinxOptions {
  /** The decoder binary: Debian's `pocketsphinx_continuous`. */
  bin: string;
  /** Directory holding `en-us/` (acoustic model), `en-us.lm.bin` and `cmudict-en-us.dict` (Debian's pocketsphinx-en-us). */
  modelDir: string;
  /** Kills a decoder still running after this many seconds plus 4× the audio length. */
  timeoutSeconds?: number;
  /** Decoder settings replacing the tuned ones (the benchmark's baseline passes [] for the decoder's defaults). */
  decoderArgs?: string[];
  /** Extra settings for upsampled narrowband input, replacing the tuned ones. */
  narrowbandArgs?: string[];
}

/** The model's own rate: the acoustic model is wideband, so everything is decoded at 16 kHz. */
export const SPHINX_RATE = 16000;

/**
 * Decoder settings beyond pocketsphinx's defaults: none. On the fixture set
 * (bench/transcribe.bench.ts) the defaults decode 16 kHz speech at ~7x real time per core
 * with the lowest word error rate; the faster single-pass profile in FAST_ARGS (the
 * benchmark's comparison row) gains ~25% speed but nearly doubles the errors.
 */
const BASE_ARGS: string[] = [];
/** The single-pass, fewer-Gaussians profile the benchmark compares against. */
export const FAST_ARGS = ['-fwdflat', 'no', '-topn', '2', '-pl_window', '8', '-maxhmmpf', '10000'];
/**
 * Upsampled narrowband audio has an empty band above 4 kHz, which the wideband model never
 * saw: dithering (fixed seed, so results repeat) keeps the log filterbank of that band
 * finite, and noise removal would otherwise eat what speech is left (27% word errors
 * instead of 34% on the fixture set). Still poor; see README.
 */
const NARROWBAND_ARGS = ['-dither', 'yes', '-seed', '1', '-remove_noise', 'no'];

const INSTALL_HINT = "install Debian's pocketsphinx and pocketsphinx-en-us (apt-get install pocketsphinx pocketsphinx-en-us)";

/** Tokens pocketsphinx prints that are not words: sentence marks, silence, noise and fillers. */
function isFiller(token: string): boolean {
  return /^<.*>$/.test(token) || /^\[.*\]$/.test(token) || /^\+\+.*\+\+$/.test(token);
}

/**
 * Parses `pocketsphinx_continuous -time yes` output: per utterance, a hypothesis line,
 * then one `word start end posterior` line per token. Fillers are dropped and
 * alternate-pronunciation suffixes (`to(2)`) removed; each utterance becomes a segment.
 */
export function parseSphinxOutput(stdout: string, timeScale = 1): EngineSegment[] {
  const segments: EngineSegment[] = [];
  let words: EngineWord[] | null = null;
  const flush = () => {
    if (words && words.length) {
      segments.push({ start: words[0].start, end: words[words.length - 1].end, text: words.map((w) => w.word).join(' '), confidence: meanConfidence(words), words });
    }
    words = null;
  };
  const wordLine = /^(\S+) (-?\d+\.\d+) (-?\d+\.\d+) (-?[\d.]+(?:e[-+]?\d+)?)$/i;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = wordLine.exec(line);
    if (!m) {
      flush(); // a hypothesis line starts the next utterance
      words = [];
      continue;
    }
    words ??= [];
    if (m[1] === '<s>') {
      // A new utterance's first timed line when the hypothesis line was empty.
      if (words.length) flush();
      words = [];
      continue;
    }
    if (isFiller(m[1])) continue;
    const word = m[1].replace(/\(\d+\)$/, '');
    const confidence = Math.min(1, Math.max(0, Number(m[4])));
    words.push({ word, start: round3(Number(m[2]) * timeScale), end: round3(Number(m[3]) * timeScale), confidence: round3(Number.isFinite(confidence) ? confidence : 0) });
  }
  flush();
  return segments;
}

/**
 * CMU PocketSphinx, offline: one `pocketsphinx_continuous` process per channel on a
 * 16 kHz mono temp WAV. US English only (the packaged model).
 */
export class SphinxEngine implements TranscriptionEngine {
  readonly name = 'sphinx';

  constructor(private readonly opts: SphinxOptions) {}

  /** The model files, or an engine_unavailable error naming what to install. */
  private modelPaths(): { hmm: string; lm: string; dict: string } {
    const dir = this.opts.modelDir;
    const paths = { hmm: path.join(dir, 'en-us'), lm: path.join(dir, 'en-us.lm.bin'), dict: path.join(dir, 'cmudict-en-us.dict') };
    for (const p of Object.values(paths)) {
      if (!fs.existsSync(p)) throw new EngineError('engine_unavailable', `PocketSphinx model file ${p} is missing (SPHINX_MODEL_DIR=${dir}); ${INSTALL_HINT}`);
    }
    return paths;
  }

  async transcribe(input: EngineInput): Promise<EngineResult> {
    if (input.language && !/^en\b/i.test(input.language)) {
      throw new EngineError('engine_rejected', `the sphinx engine has only the US English model; language "${input.language}" needs TRANSCRIPTION_ENGINE=openai`);
    }
    const model = this.modelPaths();
    const narrowband = input.sampleRate < SPHINX_RATE;
    const samples = input.sampleRate === SPHINX_RATE ? input.samples : resample(input.samples, 1, input.sampleRate, SPHINX_RATE);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-sphinx-'));
    try {
      const wavFile = path.join(dir, 'channel.wav');
      const logFile = path.join(dir, 'decoder.log');
      fs.writeFileSync(wavFile, encodeWav({ sampleRate: SPHINX_RATE, channels: 1, samples }));
      const args = ['-hmm', model.hmm, '-lm', model.lm, '-dict', model.dict, '-infile', wavFile, '-time', 'yes', '-logfn', logFile, ...(this.opts.decoderArgs ?? BASE_ARGS)];
      if (narrowband) args.push(...(this.opts.narrowbandArgs ?? NARROWBAND_ARGS));
      const seconds = samples.length / SPHINX_RATE;
      const stdout = await this.run(args, ((this.opts.timeoutSeconds ?? 60) + 4 * seconds) * 1000, logFile);
      return { language: 'en', segments: parseSphinxOutput(stdout) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  private run(args: string[], timeoutMs: number, logFile: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.opts.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e.code === 'ENOENT' || e.code === 'EACCES') {
          reject(new EngineError('engine_unavailable', `the PocketSphinx decoder "${this.opts.bin}" was not found (SPHINX_BIN); ${INSTALL_HINT}`));
        } else reject(new EngineError('engine_failed', `could not start ${this.opts.bin}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL') return reject(new EngineError('engine_timeout', `PocketSphinx took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`, true));
        if (code !== 0) {
          let log = Buffer.concat(err).toString('utf8');
          try {
            log += fs.readFileSync(logFile, 'utf8');
          } catch {
            // no log written
          }
          const lastError = log.split('\n').filter((l) => /ERROR|FATAL/.test(l)).pop() ?? log.trim().split('\n').pop() ?? '';
          return reject(new EngineError('engine_failed', `PocketSphinx exited with status ${code}${lastError ? `: ${lastError.trim().slice(0, 300)}` : ''}`));
        }
        resolve(Buffer.concat(out).toString('utf8'));
      });
    });
  }
}
