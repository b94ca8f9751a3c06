/**
 * Provider dispatch: maps every algorithm of the registry to the provider of its family.
 * The one place that knows which module implements which family.
 */

import type { Family } from "../algorithms.ts";
import type { Algorithm } from "../../domain/algorithms.ts";
import { algorithmInfo } from "../algorithms.ts";
import type { Provider } from "../provider.ts";
import { aesGcmProvider } from "./aes_gcm.ts";
import { compositeSigProvider } from "./composite_sig.ts";
import { ecdsaProvider } from "./ecdsa.ts";
import { ed25519Provider } from "./ed25519.ts";
import { hmacProvider } from "./hmac.ts";
import { hybridKemProvider } from "./hybrid_kem.ts";
import { mlDsaProvider } from "./ml_dsa.ts";
import { mlKemProvider } from "./ml_kem.ts";
import { rsaProvider } from "./rsa.ts";
import { slhDsaProvider } from "./slh_dsa.ts";

const BY_FAMILY: Readonly<Record<Family, Provider>> = Object.freeze(
  Object.assign(Object.create(null), {
    "aes": aesGcmProvider,
    "hmac": hmacProvider,
    "rsa": rsaProvider,
    "ec": ecdsaProvider,
    "ed25519": ed25519Provider,
    "ml-kem": mlKemProvider,
    "ml-dsa": mlDsaProvider,
    "hybrid-kem": hybridKemProvider,
    "slh-dsa": slhDsaProvider,
    "composite-sig": compositeSigProvider,
  }),
);

/** Returns the provider implementing `algorithm`; RangeError for a name outside the registry. */
export function providerFor(algorithm: Algorithm): Provider {
  const info = algorithmInfo(algorithm);
  if (info === undefined) throw new RangeError(`Unknown algorithm ${String(algorithm)}`);
  return BY_FAMILY[info.family];
}
