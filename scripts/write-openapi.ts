// Regenerates openapi/openapi.json from the route schemas (run after changing a route).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/wiring.js';
import { openApiDocument } from '../src/api/openapi.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telefonie-openapi-'));
const app = await createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ROLES: 'api' }));
await app.start();
const doc = openApiDocument(app.api!);
fs.mkdirSync('openapi', { recursive: true });
fs.writeFileSync('openapi/openapi.json', JSON.stringify(doc, null, 2) + '\n');
await app.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(`wrote openapi/openapi.json (${Object.keys(doc.paths).length} paths)`);
