import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toCsv } from '../../src/report/export/csv.ts';

test('CSV escapes quotes, commas, newlines and spreadsheet formulas', () => {
  const csv = toCsv(
    [{ a: 'x,"y"', b: 1.5, c: '=HYPERLINK("evil")', d: null, e: ['t1', 't2'] }],
    [
      { key: 'a', value: (r) => r.a },
      { key: 'b', value: (r) => r.b },
      { key: 'c', value: (r) => r.c },
      { key: 'd', value: (r) => r.d },
      { key: 'e', value: (r) => r.e },
    ],
  );
  assert.equal(csv, 'a,b,c,d,e\r\n"x,""y""",1.5,"\'=HYPERLINK(""evil"")",,t1 t2\r\n');
});
