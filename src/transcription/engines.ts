import type { TranscriptionConfig } from '../config.js';
import { OpenAiEngine } from './openai-engine.js';
import { SphinxEngine } from './sphinx-engine.js';
import { NoEngine, type TranscriptionEngine } from './transcription-engine.js';

/** The engine TRANSCRIPTION_ENGINE names, configured. */
export function createEngine(config: TranscriptionConfig): TranscriptionEngine {
  if (config.engine === 'openai') return new OpenAiEngine({ url: config.openaiUrl!, model: config.openaiModel, apiKey: config.openaiApiKey });
  if (config.engine === 'sphinx') return new SphinxEngine({ bin: config.sphinxBin, modelDir: config.sphinxModelDir });
  return new NoEngine();
}
