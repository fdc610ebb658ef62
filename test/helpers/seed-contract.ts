import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** The published seed contract, beside the checkout as CI lays it out. */
export const SEED_SPEC_PATH = path.resolve(process.cwd(), '../shared/spec/telefonie-recording-openapi.yml');

/** The seed document, or null (with a visible warning) when it is absent outside CI. */
export function loadSeedSpec(): any | null {
  if (!fs.existsSync(SEED_SPEC_PATH)) {
    if (process.env.CI === 'true') throw new Error(`seed contract missing at ${SEED_SPEC_PATH}`);
    console.warn(`[telefonie tests] seed contract not found at ${SEED_SPEC_PATH}: contract checks skipped`);
    return null;
  }
  return parse(fs.readFileSync(SEED_SPEC_PATH, 'utf8'));
}

/**
 * Validators for the seed's schemas using Ajv (an independent JSON Schema validator).
 * OpenAPI 3.0 schemas are JSON Schema draft-04-like; `$ref`s into components resolve
 * because the whole components section is registered under the document's id.
 */
export function seedValidators(spec: any) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'seed', components: spec.components }, 'seed');
  const recording = ajv.compile({ $ref: 'seed#/components/schemas/Recording' });
  const listSchema = spec.paths['/recordings'].get.responses['200'].content['application/json'].schema;
  const list = ajv.compile(JSON.parse(JSON.stringify(listSchema).replaceAll('"#/components', '"seed#/components')));
  const check = (validate: ReturnType<typeof ajv.compile>, value: unknown): string | null =>
    validate(value) ? null : ajv.errorsText(validate.errors);
  return {
    /** null when valid, else the errors. */
    recording: (value: unknown) => check(recording, value),
    list: (value: unknown) => check(list, value),
  };
}
