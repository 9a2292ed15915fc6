/**
 * Regenerates the settings table in README.md and local.settings.sample.json from the settings schema.
 * `npm run docs`; `npm test` fails while either is out of date.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderSampleSettings, renderReadmeWithSettings } from '../shared/config/docs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const readmePath = `${root}README.md`;
const samplePath = `${root}local.settings.sample.json`;

const readme = await readFile(readmePath, 'utf8');
await writeFile(readmePath, renderReadmeWithSettings(readme));
await writeFile(samplePath, renderSampleSettings());
console.log('README.md settings table and local.settings.sample.json regenerated');
