/**
 * MEASURES which mechanisms Debian 12's p11-kit client (0.24.1) forwards: the test loads
 * the real `p11-kit-client.so` through Deno FFI, points it at an in-process FerroHSM
 * socket, calls C_SignInit / C_EncryptInit / C_GenerateKey(Pair) for each mechanism, and
 * records which calls reach the server. A mechanism the client cannot serialize is
 * answered CKR_MECHANISM_INVALID by the client itself and never arrives. docs/pkcs11.md
 * publishes this table.
 */

import assert from "node:assert/strict";
import { CKM, CKR } from "../../src/pkcs11/constants.ts";
import { decodeRequest } from "../../src/pkcs11/rpc_message.ts";
import type { ClientState } from "../../src/pkcs11/sessions.ts";
import { Pkcs11Dispatcher } from "../../src/pkcs11/dispatcher.ts";
import { Pkcs11SocketServer } from "../../src/pkcs11/socket_server.ts";
import { FakeBackend } from "./_fake_backend.ts";
import { HAS_PKCS11_TOOLS, P11_CLIENT, skipNote } from "./_tools.ts";

type Op = "sign" | "encrypt" | "keygen" | "keypair";

/** [name, mechanism type, operation tried, forwarded by Debian 12's client]. */
const CLIENT_MECHANISMS: readonly (readonly [string, number, Op, boolean])[] = [
  ["CKM_ECDSA", CKM.ECDSA, "sign", true],
  ["CKM_ECDSA_SHA256", CKM.ECDSA_SHA256, "sign", false],
  ["CKM_ECDSA_SHA384", CKM.ECDSA_SHA384, "sign", false],
  ["CKM_ECDSA_SHA512", CKM.ECDSA_SHA512, "sign", false],
  ["CKM_RSA_PKCS", CKM.RSA_PKCS, "sign", true],
  ["CKM_SHA256_RSA_PKCS", CKM.SHA256_RSA_PKCS, "sign", true],
  ["CKM_SHA384_RSA_PKCS", CKM.SHA384_RSA_PKCS, "sign", true],
  ["CKM_SHA512_RSA_PKCS", CKM.SHA512_RSA_PKCS, "sign", true],
  ["CKM_RSA_PKCS_PSS", CKM.RSA_PKCS_PSS, "sign", true],
  ["CKM_SHA256_RSA_PKCS_PSS", CKM.SHA256_RSA_PKCS_PSS, "sign", false],
  ["CKM_SHA384_RSA_PKCS_PSS", CKM.SHA384_RSA_PKCS_PSS, "sign", false],
  ["CKM_SHA512_RSA_PKCS_PSS", CKM.SHA512_RSA_PKCS_PSS, "sign", false],
  ["CKM_SHA256_HMAC", CKM.SHA256_HMAC, "sign", true],
  ["CKM_EDDSA", 0x1057, "sign", false],
  ["CKM_ML_DSA (PKCS#11 3.2)", 0x1d, "sign", false],
  ["CKM_RSA_PKCS_OAEP", CKM.RSA_PKCS_OAEP, "encrypt", true],
  ["CKM_AES_GCM", 0x1087, "encrypt", false],
  ["CKM_ML_KEM (PKCS#11 3.2)", 0x17, "encrypt", false],
  ["CKM_EC_KEY_PAIR_GEN", CKM.EC_KEY_PAIR_GEN, "keypair", true],
  ["CKM_RSA_PKCS_KEY_PAIR_GEN", CKM.RSA_PKCS_KEY_PAIR_GEN, "keypair", true],
  ["CKM_EC_EDWARDS_KEY_PAIR_GEN", 0x1055, "keypair", false],
  ["CKM_ML_DSA_KEY_PAIR_GEN (3.2)", 0x1c, "keypair", false],
  ["CKM_ML_KEM_KEY_PAIR_GEN (3.2)", 0x0f, "keypair", false],
  ["CKM_GENERIC_SECRET_KEY_GEN", CKM.GENERIC_SECRET_KEY_GEN, "keygen", true],
  ["CKM_AES_KEY_GEN", CKM.AES_KEY_GEN, "keygen", true],
];

/** Offsets of functions in CK_FUNCTION_LIST (a CK_VERSION padded to 8, then pointers). */
const FN = {
  C_Initialize: 0,
  C_Finalize: 1,
  C_OpenSession: 12,
  C_EncryptInit: 29,
  C_SignInit: 42,
  C_GenerateKey: 58,
  C_GenerateKeyPair: 59,
} as const; // deno-fmt-ignore

/** A CK_MECHANISM with structured parameters where the client insists on them. */
function mechanism(type: number): { struct: BigUint64Array; keep: unknown[] } {
  let params: BigUint64Array | undefined;
  if (type === CKM.RSA_PKCS_OAEP) params = BigUint64Array.of(BigInt(CKM.SHA256), 2n, 0n, 0n, 0n);
  if (type === CKM.RSA_PKCS_PSS) params = BigUint64Array.of(BigInt(CKM.SHA256), 2n, 32n);
  const pointer = params === undefined ? 0n : Deno.UnsafePointer.value(Deno.UnsafePointer.of(params));
  const struct = BigUint64Array.of(BigInt(type), BigInt(pointer), BigInt((params?.length ?? 0) * 8));
  return { struct, keep: [params] };
}

Deno.test({
  name:
    `Debian 12's p11-kit client forwards exactly the mechanisms docs/pkcs11.md lists${skipNote()}`,
  ignore: !HAS_PKCS11_TOOLS,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ferrohsm-p11-" });
    const path = `${dir}/p11.sock`;
    const arrived: number[] = [];
    const dispatcher = new Pkcs11Dispatcher(new FakeBackend(), { serial: "measure" });
    const recorder = {
      handle(state: ClientState, body: Uint8Array) {
        const { call, args } = decodeRequest(body);
        if (/Init$|^C_GenerateKey/.test(call.name) && call.name !== "C_Initialize") {
          arrived.push(args.mechanism(1).type);
        }
        return dispatcher.handle(state, body);
      },
    };
    const server = await Pkcs11SocketServer.listen(recorder, { path });
    Deno.env.set("P11_KIT_SERVER_ADDRESS", `unix:path=${path}`);
    const lib = Deno.dlopen(P11_CLIENT, {
      C_GetFunctionList: { parameters: ["buffer"], result: "u64" },
    });
    try {
      const list = new BigUint64Array(1);
      assert.equal(Number(lib.symbols.C_GetFunctionList(list)), CKR.OK);
      const table = new Deno.UnsafePointerView(
        Deno.UnsafePointer.create(list[0] ?? 0n) as Deno.PointerObject,
      );
      const fn = (name: keyof typeof FN, parameters: Deno.NativeType[]) => {
        const pointer = table.getPointer(8 + 8 * FN[name]) as Deno.PointerObject<never>;
        const f = new Deno.UnsafeFnPointer(pointer, {
          parameters,
          result: "u64",
          nonblocking: true,
        });
        return { call: (...args: unknown[]) => f.call(...(args as never[])) as Promise<bigint> };
      };
      assert.equal(Number(await fn("C_Initialize", ["pointer"]).call(null)), CKR.OK);
      const session = new BigUint64Array(1);
      const open = fn("C_OpenSession", ["u64", "u64", "pointer", "pointer", "buffer"]);
      assert.equal(Number(await open.call(1n, 6n, null, null, session)), CKR.OK);
      const h = session[0] ?? 0n;
      const out = new BigUint64Array(2);
      const measured: [string, boolean][] = [];
      const alive: unknown[] = [];
      for (const [name, type, op] of CLIENT_MECHANISMS) {
        const before = arrived.length;
        const { struct, keep } = mechanism(type);
        if (op === "sign") await fn("C_SignInit", ["u64", "buffer", "u64"]).call(h, struct, 1n);
        if (op === "encrypt") {
          await fn("C_EncryptInit", ["u64", "buffer", "u64"]).call(h, struct, 1n);
        }
        if (op === "keygen") {
          await fn("C_GenerateKey", ["u64", "buffer", "pointer", "u64", "buffer"]).call(
            h,
            struct,
            null,
            0n,
            out,
          );
        }
        if (op === "keypair") {
          const pair = fn("C_GenerateKeyPair", [
            "u64",
            "buffer",
            "pointer",
            "u64",
            "pointer",
            "u64",
            "buffer",
            "buffer",
          ]);
          await pair.call(h, struct, null, 0n, null, 0n, out, out);
        }
        alive.push(keep); // the parameter structs must outlive the call
        measured.push([name, arrived.length > before && arrived.at(-1) === type]);
      }
      await fn("C_Finalize", ["pointer"]).call(null);
      assert.deepEqual(
        measured,
        CLIENT_MECHANISMS.map(([name, , , forwarded]) => [name, forwarded]),
      );
    } finally {
      lib.close();
      Deno.env.delete("P11_KIT_SERVER_ADDRESS");
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
}); // deno-fmt-ignore
