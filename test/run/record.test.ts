import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunRecord } from '../../src/run/record.ts';

test('parseRunRecord drops bad fields with a one-line warning naming file and field', () => {
  const { record, warnings } = parseRunRecord(
    JSON.stringify({ schemaVersion: 1, id: 'a/b', status: 'bogus', best: { epoch: 'x' }, macsPerImage: 5, extra: 1 }),
    'a/b/run.json',
  );
  assert.equal(record.id, 'a/b');
  assert.equal(record.macsPerImage, 5);
  assert.equal(record.status, undefined);
  assert.equal(record.best, undefined);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /^a\/b\/run\.json: field status: /);
  assert.match(warnings[1], /^a\/b\/run\.json: field best\.epoch: /);
  assert.match(parseRunRecord('{nope', 'x/run.json').warnings[0], /^x\/run\.json: not valid JSON/);
  assert.match(parseRunRecord('[]', 'x/run.json').warnings[0], /expected a JSON object/);
});
