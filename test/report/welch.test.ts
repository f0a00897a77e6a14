import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regularizedBeta, studentTCdf, welchTTest } from '../../src/report/metrics/welch.ts';

const close = (actual: number, expected: number, rel: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected}`);

test("Student's t CDF matches reference values (scipy.stats.t.cdf), integer and fractional df", () => {
  const reference: [number, number, number][] = [
    [2.0, 5, 0.9490302605850708],
    [-1.5, 3.7, 0.10679908460100675],
    [0.3, 1, 0.5927735790777423],
    [10, 2.5, 0.9977792521163463],
    [-4.2, 30, 0.00010989421710800989],
    [1.96, 1e6, 0.9750019662073651],
    [0, 4, 0.5],
    [25, 3, 0.9999298343050212],
    [-0.7, 0.5, 0.3427003312603833],
    [3.1, 12.34, 0.995539724836524],
  ];
  for (const [t, df, p] of reference) close(studentTCdf(t, df), p, 1e-9, `t=${t} df=${df}`);
  // Cauchy (df = 1) in closed form: 1/2 + atan(t)/π.
  for (const t of [-30, -2, -0.1, 0.5, 7]) close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `cauchy ${t}`);
  assert.equal(studentTCdf(Infinity, 3), 1);
  assert.equal(studentTCdf(-Infinity, 3), 0);
  assert.ok(Number.isNaN(studentTCdf(1, 0)));
});

test('the regularized incomplete beta function: I_x(1, 1) = x, I_x(a, 1) = x^a, symmetry', () => {
  for (const x of [0, 0.1, 0.5, 0.93, 1]) close(regularizedBeta(x, 1, 1) + 1e-300, x + 1e-300, 1e-12, `I_${x}(1,1)`);
  for (const x of [0.2, 0.7]) close(regularizedBeta(x, 3.5, 1), x ** 3.5, 1e-12, `I_${x}(3.5,1)`);
  close(regularizedBeta(0.3, 2.5, 4) + regularizedBeta(0.7, 4, 2.5), 1, 1e-13, 'I_x(a,b) + I_(1-x)(b,a)');
});

test("Welch's t-test matches hand-computed and reference values (scipy ttest_ind equal_var=False)", () => {
  // a: mean .82, s² = 1e-4; b: mean .78333, s² = 2.3333e-4 → se = √(1/9000), df = 100/29 exactly.
  const r = welchTTest([0.81, 0.83, 0.82], [0.78, 0.8, 0.77])!;
  close(r.difference, 0.11 / 3, 1e-12, 'difference');
  close(r.standardError, Math.sqrt(1 / 9000), 1e-12, 'standard error');
  close(r.t, 0.11 / 3 / Math.sqrt(1 / 9000), 1e-12, 't');
  close(r.df, 100 / 29, 1e-12, 'df');
  close(r.t, 3.478505426185216, 1e-12, 't (scipy)');
  close(r.p, 0.032198821554618576, 1e-9, 'p (scipy)');
  const s = welchTTest([0.81, 0.83, 0.82], [0.7, 0.74, 0.69, 0.72])!;
  close(s.t, 8.600000000000005, 1e-12, 't');
  close(s.df, 4.366106080206975, 1e-12, 'df');
  close(s.p, 0.0006738834590816265, 1e-8, 'p');
  // Swapping the samples flips the sign, not the p-value.
  const back = welchTTest([0.78, 0.8, 0.77], [0.81, 0.83, 0.82])!;
  assert.equal(back.t, -r.t);
  assert.equal(back.p, r.p);
});

test("Welch's t-test is undefined for a single seed or for no spread at all", () => {
  assert.equal(welchTTest([0.8], [0.7, 0.71]), null);
  assert.equal(welchTTest([0.8, 0.8], [0.7, 0.7]), null);
  // One side without spread is fine: the other side's noise is the test's.
  assert.ok(welchTTest([0.8, 0.8], [0.7, 0.72]) !== null);
});
