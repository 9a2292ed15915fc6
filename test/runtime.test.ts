import assert from 'node:assert/strict';
import { it } from 'node:test';

it('runs on the project-local Node 22, as Azure Functions does', (t) => {
  t.diagnostic(`node ${process.version} at ${process.execPath}`);
  assert.equal(process.versions.node.split('.')[0], '22');
});
