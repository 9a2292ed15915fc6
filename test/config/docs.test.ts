import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { renderReadmeWithSettings, renderSampleSettings } from '../../shared/config/docs.ts';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

it('README settings table is generated from the schema (run npm run docs)', () => {
  const readme = read('README.md');
  assert.equal(renderReadmeWithSettings(readme), readme);
});

it('local.settings.sample.json lists every local setting with its default (run npm run docs)', () => {
  assert.equal(read('local.settings.sample.json'), renderSampleSettings());
});
