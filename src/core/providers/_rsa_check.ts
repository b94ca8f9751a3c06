/**
 * Consistency checks of an RSA private key brought in from outside (BYOK import), as
 * FIPS 186-5 §B.3 / SP 800-56B §6.4.1 key-pair validation asks: the modulus has the
 * expected size and is p·q, e is odd and in range, p and q are distinct probable primes
 * (trial division then Miller–Rabin with random bases), d·e ≡ 1 mod lcm(p−1, q−1), and
 * the CRT values agree with d, p and q. Private to `src/core/providers/`.
 *
 * Security caveat: these run once per import on JavaScript BigInts, which are neither
 * constant time nor wipeable; the copies live until garbage collection. Keys in use are
 * never touched by this code (operations run in Web Crypto).
 */

import { decodeSequence, readSmallInteger, readUnsignedInteger } from "../asn1.ts";

/** The nine INTEGERs of a two-prime RSAPrivateKey (RFC 8017 §A.1.2), as BigInts. */
interface RsaPrivateNumbers {
  readonly n: bigint;
  readonly e: bigint;
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dP: bigint;
  readonly dQ: bigint;
  readonly qInv: bigint;
}

const SMALL_PRIMES: readonly bigint[] = (() => {
  const out: bigint[] = [];
  for (let c = 3; out.length < 200; c += 2) {
    if (out.every((p) => c % Number(p) !== 0)) out.push(BigInt(c));
  }
  return out;
})();

/** Miller–Rabin rounds with random bases (error ≤ 4^-rounds; FIPS 186-5 Table B.1 asks ≤ 5). */
const MR_ROUNDS = 8;

function toBigInt(bytes: Uint8Array): bigint {
  let out = 0n;
  for (const b of bytes) out = (out << 8n) | BigInt(b);
  return out;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  base %= modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
  }
  return result;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** A uniformly random integer in [2, max − 2] for a Miller–Rabin base. */
function randomBase(max: bigint): bigint {
  const bytes = Math.ceil(bitLength(max) / 8) + 8; // 64 extra bits make the bias negligible
  return 2n + toBigInt(crypto.getRandomValues(new Uint8Array(bytes))) % (max - 3n);
}

/** True when `n` (odd, > 1000) passes trial division and MR_ROUNDS Miller–Rabin rounds. */
function isProbablePrime(n: bigint): boolean {
  if (n < 1000n || (n & 1n) === 0n) return false;
  for (const p of SMALL_PRIMES) if (n % p === 0n) return false;
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (let round = 0; round < MR_ROUNDS; round++) {
    let x = modPow(randomBase(n), d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < s && composite; i++) {
      x = (x * x) % n;
      if (x === n - 1n) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

/** Reads the RSAPrivateKey numbers of a two-prime PKCS#8 body; undefined when malformed. */
function readNumbers(rsaPrivateKey: Uint8Array): RsaPrivateNumbers | undefined {
  const fields = decodeSequence(rsaPrivateKey);
  if (fields === undefined || fields.length !== 9 || readSmallInteger(fields[0]) !== 0) {
    return undefined;
  }
  const ints = fields.slice(1).map(readUnsignedInteger);
  if (ints.some((x) => x === undefined || x.length === 0)) return undefined;
  const [n, e, d, p, q, dP, dQ, qInv] = (ints as Uint8Array[]).map(toBigInt) as bigint[];
  if (qInv === undefined) return undefined;
  return { n, e, d, p, q, dP, dQ, qInv } as RsaPrivateNumbers;
}

/**
 * Checks a two-prime RSAPrivateKey (the OCTET STRING contents of its PKCS#8) for a key of
 * `bits`; returns undefined when it is consistent, otherwise the reason (no key values).
 */
export function rsaKeyProblem(rsaPrivateKey: Uint8Array, bits: number): string | undefined {
  const k = readNumbers(rsaPrivateKey);
  if (k === undefined) return "the RSAPrivateKey is not a two-prime key of nine integers";
  if (bitLength(k.n) !== bits) return `the modulus is not ${bits} bits`;
  if ((k.e & 1n) === 0n || k.e < 3n || bitLength(k.e) > 256) {
    return "the public exponent is not an odd number from 3 to 2^256";
  }
  if (k.p === k.q || k.p * k.q !== k.n) return "the modulus is not the product of p and q";
  if (!isProbablePrime(k.p) || !isProbablePrime(k.q)) return "p or q is not prime";
  const p1 = k.p - 1n;
  const q1 = k.q - 1n;
  const lambda = (p1 / gcd(p1, q1)) * q1;
  if (k.d <= 1n || k.d >= k.n || (k.d * k.e) % lambda !== 1n) {
    return "the private exponent does not invert the public exponent";
  }
  if (k.dP !== k.d % p1 || k.dQ !== k.d % q1) return "the CRT exponents do not match d";
  if (k.qInv <= 0n || k.qInv >= k.p || (k.qInv * k.q) % k.p !== 1n) {
    return "the CRT coefficient is not q^-1 mod p";
  }
  return undefined;
}
