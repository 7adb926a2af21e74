/**
 * @file fma32 / fma64 against exact rational (BigInt) rounding, on random and adversarial inputs.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fma32, fma64 } from '../../src/random/index.js';
import { fma64Exact } from '../../src/random/fma.js';

/** Deterministic xorshift for test inputs. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** Exact RN-even float32 of a*b + c via BigInt (a, b, c float32). */
function fma32Exact(a: number, b: number, c: number): number {
  // all float32 values are k * 2^-149 with |k| < 2^128+: scale to integers
  const S = 2n ** 149n;
  const toBig = (x: number): bigint => {
    // x * 2^149 is an integer for float32 x; use fma64Exact-free exact conversion
    const [m, e] = frexpInt(x);
    return e + 149 >= 0 ? m << BigInt(e + 149) : m >> BigInt(-(e + 149));
  };
  const exact = toBig(a) * toBig(b) + toBig(c) * S; // scaled by 2^298
  return roundScaled(exact, 298);
}

function frexpInt(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  let e = 0;
  let m = Math.abs(x);
  while (!Number.isInteger(m)) { m *= 2; e--; }
  while (m > 2 ** 53) { m /= 2; e++; }
  return [BigInt(x < 0 ? -m : m), e];
}

/** Round n / 2^k to float32 (normal range only, as in these tests). */
function roundScaled(n: bigint, k: number): number {
  if (n === 0n) return 0;
  const neg = n < 0n;
  if (neg) n = -n;
  const L = n.toString(2).length;
  const drop = L - 24;
  let m = n, shift = 0;
  if (drop > 0) {
    const d = BigInt(drop);
    m = n >> d;
    const rem = n - (m << d), half = 1n << (d - 1n);
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
    shift = drop;
  }
  const v = Number(m) * 2 ** (shift - k);
  return neg ? -v : v;
}

test('fma64 equals exact rounding on random operands of mixed scales', () => {
  const r = rng(12345);
  for (let i = 0; i < 20000; i++) {
    const a = (r() - 0.5) * 2 ** Math.floor(r() * 40 - 20);
    const b = (r() - 0.5) * 2 ** Math.floor(r() * 40 - 20);
    const c = (r() - 0.5) * 2 ** Math.floor(r() * 80 - 40);
    assert.equal(fma64(a, b, c), fma64Exact(a, b, c), `${a} ${b} ${c}`);
  }
});

test('fma64 on near-cancellation and midpoint cases', () => {
  const r = rng(777);
  for (let i = 0; i < 20000; i++) {
    const a = 1 + Math.floor(r() * 2 ** 26) * 2 ** -26;
    const b = 1 + Math.floor(r() * 2 ** 26) * 2 ** -26 + (r() < 0.5 ? 2 ** -52 : 0);
    // c = -(a*b rounded) plus a few ulps: exercises the exact-error term and ties
    const k = Math.floor(r() * 7) - 3;
    const c = -(a * b) + k * 2 ** -53 * (r() < 0.5 ? 1 : 2 ** -30);
    assert.equal(fma64(a, b, c), fma64Exact(a, b, c), `${a} ${b} ${c}`);
    const c2 = (r() < 0.5 ? -1 : 1) * 2 ** Math.floor(r() * 60 - 30);
    assert.equal(fma64(a, b, c2), fma64Exact(a, b, c2), `${a} ${b} ${c2}`);
  }
  // exact ties: a*b = 1 + 2^-53 exactly (halfway between 1 and 1 + 2^-52), nudged by tiny c
  const a = 1 + 2 ** -26, b = 1 - 2 ** -26 + 2 ** -53; // a*b = 1 - 2^-52 + 2^-53 + 2^-79 (exactly)
  for (const c of [0, 2 ** -100, -(2 ** -100), 2 ** -79, -(2 ** -79)]) {
    assert.equal(fma64(a, b, c), fma64Exact(a, b, c));
  }
  assert.equal(fma64(0.1, 10, -1), 5.551115123125783e-17); // the classic: RN(0.1*10 - 1) exactly
  assert.equal(fma64(2 ** 600, 2 ** 600, -Infinity), -Infinity);
  assert.equal(fma64(2 ** -600, 2 ** -600, 1), 1);
  assert.equal(fma64(2 ** -540, 2 ** -540, 0), 0); // 2^-1080 rounds to 0
  assert.equal(fma64(3 * 2 ** -538, 2 ** -538, 0), 2 ** -1074); // 0.75 * 2^-1074 rounds up
  assert.ok(Object.is(fma64(3 * 2 ** -538, 2 ** -538, -(2 ** -1074)), -0)); // exact -0.25 * 2^-1074 rounds to -0
  assert.ok(Object.is(fma64(-0, 1, 0), 0));
  assert.ok(Object.is(fma64(-0, 1, -0), -0));
});

test('fma32 equals exact rounding, including float32 midpoint ties', () => {
  const f = Math.fround;
  const r = rng(4242);
  for (let i = 0; i < 20000; i++) {
    const a = f((r() - 0.5) * 2 ** Math.floor(r() * 20 - 10));
    const b = f((r() - 0.5) * 2 ** Math.floor(r() * 20 - 10));
    const c = f((r() - 0.5) * 2 ** Math.floor(r() * 30 - 15));
    assert.equal(fma32(a, b, c), fma32Exact(a, b, c), `${a} ${b} ${c}`);
  }
  for (let i = 0; i < 20000; i++) {
    // a*b with the low product bits exactly at a float32 half-ulp, plus c near the rounding boundary
    const a = f(1 + Math.floor(r() * 2 ** 12) * 2 ** -12);
    const b = f(1 + Math.floor(r() * 2 ** 12) * 2 ** -23);
    const c = f((r() < 0.5 ? -1 : 1) * 2 ** Math.floor(r() * 60 - 60));
    assert.equal(fma32(a, b, c), fma32Exact(a, b, c), `${a} ${b} ${c}`);
  }
});
