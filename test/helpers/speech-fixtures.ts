/**
 * Speech fixtures made on the spot with flite (16 kHz voices) and sox, plus word error rate.
 * Tests that need them call `speechToolsOrSkip()`: a missing tool skips with a visible
 * warning, except under CI=true, where it fails the run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** True when `cmd` runs (found on PATH). */
export function haveCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether every tool is present. Missing: throws under CI=true, else warns once per tool and
 * returns false so the caller can skip.
 */
export function toolsOrSkip(tools: string[], what: string): boolean {
  const missing = tools.filter((t) => !haveCommand(t));
  if (missing.length === 0) return true;
  const message = `${what} needs ${missing.join(', ')} (Debian: apt-get install flite sox pocketsphinx pocketsphinx-en-us)`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
  console.warn(`[telefonie tests] SKIPPED: ${message}`);
  return false;
}

/** flite + sox, for making speech. */
export function speechToolsOrSkip(what: string): boolean {
  return toolsOrSkip(['flite', 'sox'], what);
}

/** Distinct, clear flite voices, one per channel. */
export const CHANNEL_VOICES = ['kal16', 'awb'] as const;

/** Speaks `text` with a flite voice at `rate` Hz (16 kHz voices; 8 kHz via sox), as mono samples. */
export function speak(text: string, voice: string, rate: number): Int16Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-tts-'));
  try {
    const raw = path.join(dir, 'tts.wav');
    const out = path.join(dir, 'out.raw');
    execFileSync('flite', ['-voice', voice, '-t', text, '-o', raw]);
    // Raw signed 16-bit little-endian mono at the wanted rate (sox's default band-limited resampler).
    execFileSync('sox', [raw, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-c', '1', '-L', '-r', String(rate), out]);
    const bytes = fs.readFileSync(out);
    return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One line of a scripted call. */
export interface Turn {
  channel: 1 | 2;
  text: string;
}

/** A two-channel call: interleaved samples, and where each turn was placed (seconds). */
export interface Conversation {
  rate: number;
  samples: Int16Array;
  seconds: number;
  turns: Array<Turn & { start: number; end: number }>;
}

/**
 * Lays turns one after another on a stereo timeline, each on its speaker's channel with its
 * voice, `gapSeconds` of silence between turns (and at both ends).
 */
export function conversation(turns: Turn[], rate: number, gapSeconds = 0.7): Conversation {
  const spoken = turns.map((t) => ({ ...t, audio: speak(t.text, CHANNEL_VOICES[t.channel - 1], rate) }));
  const gap = Math.round(gapSeconds * rate);
  const frames = spoken.reduce((n, t) => n + t.audio.length + gap, gap);
  const samples = new Int16Array(frames * 2);
  let at = gap;
  const placed: Conversation['turns'] = [];
  for (const t of spoken) {
    for (let i = 0; i < t.audio.length; i++) samples[(at + i) * 2 + (t.channel - 1)] = t.audio[i];
    placed.push({ channel: t.channel, text: t.text, start: at / rate, end: (at + t.audio.length) / rate });
    at += t.audio.length + gap;
  }
  return { rate, samples, seconds: frames / rate, turns: placed };
}

/** Words for scoring: lower case, letters, digits and apostrophes only. */
export function scoringWords(text: string): string[] {
  return text.toLowerCase().replace(/[^a-z0-9' ]+/g, ' ').split(/\s+/).filter(Boolean);
}

/** Word-level edit distance (substitutions + deletions + insertions) and the reference length. */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const r = scoringWords(reference);
  const h = scoringWords(hypothesis);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
    prev = cur;
  }
  return { errors: prev[h.length], words: r.length };
}

/** Word error rate of a hypothesis against a reference (0..1+). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const { errors, words } = wordErrors(reference, hypothesis);
  return words === 0 ? (scoringWords(hypothesis).length ? 1 : 0) : errors / words;
}

/** Scripted calls of ordinary customer-service English, used by the tests and the benchmark. */
export const FIXTURE_CALLS: Turn[][] = [
  [
    { channel: 1, text: 'thank you for calling how can i help you today' },
    { channel: 2, text: 'hello i would like to check the status of my order' },
    { channel: 1, text: 'of course can you tell me your name please' },
    { channel: 2, text: 'my name is john smith' },
    { channel: 1, text: 'thank you john i can see your order here' },
    { channel: 2, text: 'when will it arrive' },
    { channel: 1, text: 'it will arrive on monday morning' },
    { channel: 2, text: 'that is great thank you very much' },
  ],
  [
    { channel: 1, text: 'good morning this is the billing department' },
    { channel: 2, text: 'hi i need to change my address' },
    { channel: 1, text: 'no problem what is the new address' },
    { channel: 2, text: 'it is ten main street in the city' },
    { channel: 1, text: 'we will send you a new card in the mail' },
    { channel: 2, text: 'please call me back after lunch' },
    { channel: 1, text: 'is there anything else i can help you with' },
    { channel: 2, text: 'no that is all have a nice day' },
  ],
  [
    { channel: 1, text: 'hello and welcome to the travel desk' },
    { channel: 2, text: 'i want to book a room for two nights' },
    { channel: 1, text: 'which city are you going to' },
    { channel: 2, text: 'we are going to boston next week' },
    { channel: 1, text: 'i have a nice room near the river' },
    { channel: 2, text: 'how much does it cost per night' },
    { channel: 1, text: 'it is one hundred dollars per night' },
    { channel: 2, text: 'that sounds good please book it' },
  ],
  [
    { channel: 1, text: 'thank you for waiting how can i help' },
    { channel: 2, text: 'my phone stopped working this morning' },
    { channel: 1, text: 'i am sorry to hear that have you tried to restart it' },
    { channel: 2, text: 'yes i did but the screen is still black' },
    { channel: 1, text: 'we can send you a new one tomorrow' },
    { channel: 2, text: 'that would be very helpful thank you' },
  ],
  [
    { channel: 1, text: 'good afternoon you are speaking with the help desk' },
    { channel: 2, text: 'i forgot the password for my account' },
    { channel: 1, text: 'i will send a link to reset it' },
    { channel: 2, text: 'how long will that take' },
    { channel: 1, text: 'it should arrive in a few minutes' },
    { channel: 2, text: 'great i will wait for it' },
  ],
];
