"""Drives FerroHSM's Vault Transit bridge with the real hvac client (Debian python3-hvac).

Usage: hvac_transit.py URL TOKEN [--ca CA] [--cert CERT --key KEY] [--strict-http]

--strict-http lists with `GET ?list=true` instead of the HTTP LIST method (hvac's
strict_http), which a mutual-TLS listener needs: node:https refuses unknown methods.

Every check is an assert; the script prints one line per check and exits non-zero on
the first failure. Signatures are also verified outside FerroHSM with the openssl
command, against the public keys hvac read from /v1/transit/keys/:name.
"""

import argparse
import base64
import hashlib
import os
import subprocess
import sys
import tempfile

import hvac

PASSED = []


def check(name, condition, detail=""):
    if not condition:
        print(f"FAIL {name} {detail}", flush=True)
        sys.exit(1)
    PASSED.append(name)
    print(f"ok {name}", flush=True)


def b64(data):
    return base64.b64encode(data).decode()


def openssl_verify(args, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data")
        with open(path, "wb") as f:
            f.write(data)
        out = subprocess.run(["openssl", *args, path], capture_output=True, text=True)
        return out.returncode == 0, out.stdout + out.stderr


def signature_bytes(signature):
    prefix, version, data = signature.split(":", 2)
    assert prefix == "vault" and version.startswith("v"), signature
    return base64.b64decode(data)


def write_temp(tmp, name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--ca")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--strict-http", action="store_true")
    a = parser.parse_args()
    tls = {"strict_http": a.strict_http}
    if a.ca:
        tls["verify"] = a.ca
    if a.cert:
        tls["cert"] = (a.cert, a.key)
    client = hvac.Client(url=a.url, token=a.token, **tls)
    transit = client.secrets.transit

    # Keys: create, read, list (LIST method), rotate.
    transit.create_key("orders")
    key = transit.read_key("orders")["data"]
    check("create and read an aes256-gcm96 key", key["type"] == "aes256-gcm96" and key["latest_version"] == 1)
    transit.create_key("signer", key_type="ecdsa-p256")
    names = transit.list_keys()["data"]["keys"]
    how = "GET ?list=true" if a.strict_http else "the LIST method"
    check(f"list keys with {how}", "orders" in names and "signer" in names, str(names))

    # Encrypt, rotate, decrypt the old version, rewrap to the new one.
    secret = b"card 4111 1111 1111 1111"
    old = transit.encrypt_data("orders", b64(secret))["data"]["ciphertext"]
    check("encrypt answers a vault:v1 ciphertext", old.startswith("vault:v1:"), old)
    transit.rotate_key("orders")
    check("rotate adds version 2", transit.read_key("orders")["data"]["latest_version"] == 2)
    plain = transit.decrypt_data("orders", old)["data"]["plaintext"]
    check("decrypt a version 1 ciphertext after rotation", base64.b64decode(plain) == secret)
    new = transit.encrypt_data("orders", b64(secret))["data"]["ciphertext"]
    check("encrypt after rotation uses version 2", new.startswith("vault:v2:"), new)
    rewrapped = transit.rewrap_data("orders", old)["data"]["ciphertext"]
    check("rewrap moves a ciphertext to the latest version", rewrapped.startswith("vault:v2:"))
    check(
        "the rewrapped ciphertext decrypts",
        base64.b64decode(transit.decrypt_data("orders", rewrapped)["data"]["plaintext"]) == secret,
    )

    # Data keys.
    dk = transit.generate_data_key("orders", key_type="plaintext", bits=256)["data"]
    plain_key = base64.b64decode(dk["plaintext"])
    check("datakey/plaintext answers 32 bytes and their ciphertext", len(plain_key) == 32)
    opened = base64.b64decode(transit.decrypt_data("orders", dk["ciphertext"])["data"]["plaintext"])
    check("the data key's ciphertext decrypts to it", opened == plain_key)
    wrapped = transit.generate_data_key("orders", key_type="wrapped")["data"]
    check("datakey/wrapped answers no plaintext", "plaintext" not in wrapped and wrapped["ciphertext"].startswith("vault:v2:"))

    # Batch input.
    items = [{"plaintext": b64(f"item {i}".encode())} for i in range(5)]
    results = transit.encrypt_data("orders", "", batch_input=items)["data"]["batch_results"]
    check("batch encrypt answers one ciphertext per item", len(results) == 5 and all("ciphertext" in r for r in results))
    decrypted = transit.decrypt_data(
        "orders", "", batch_input=[{"ciphertext": r["ciphertext"]} for r in results]
    )["data"]["batch_results"]
    check(
        "batch decrypt answers the plaintexts in order",
        [base64.b64decode(r["plaintext"]) for r in decrypted] == [f"item {i}".encode() for i in range(5)],
    )

    # HMAC (hvac 0.11 does not know the "hmac" key type: create it with a plain write).
    client.write("transit/keys/mac", type="hmac")
    mac = transit.generate_hmac("mac", b64(b"payload"))["data"]["hmac"]
    check("hmac answers vault:v1", mac.startswith("vault:v1:"))
    check("verify an hmac", transit.verify_signed_data("mac", b64(b"payload"), hmac=mac)["data"]["valid"])
    check("a wrong input does not verify", not transit.verify_signed_data("mac", b64(b"other"), hmac=mac)["data"]["valid"])

    message = b"release artefact v1.2.3"
    with tempfile.TemporaryDirectory() as tmp:
        # ECDSA P-256: DER signature, checked by openssl against the PEM hvac read.
        sig = transit.sign_data("signer", b64(message))["data"]["signature"]
        check("ecdsa-p256 verify", transit.verify_signed_data("signer", b64(message), signature=sig)["data"]["valid"])
        check("ecdsa-p256 refuses another message", not transit.verify_signed_data("signer", b64(b"x"), signature=sig)["data"]["valid"])
        pem = transit.read_key("signer")["data"]["keys"]["1"]["public_key"]
        check("ecdsa-p256 public key is PEM", pem.startswith("-----BEGIN PUBLIC KEY-----"))
        ok, out = openssl_verify(
            ["dgst", "-sha256", "-verify", write_temp(tmp, "ec.pem", pem), "-signature", write_temp(tmp, "ec.sig", signature_bytes(sig))],
            message,
        )
        check("openssl verifies the ecdsa-p256 signature", ok, out)
        digest = hashlib.sha256(message).digest()
        pre = transit.sign_data("signer", b64(digest), prehashed=True, hash_algorithm="sha2-256")["data"]["signature"]
        check("a prehashed signature verifies as the message's", transit.verify_signed_data("signer", b64(message), signature=pre)["data"]["valid"])
        jws = transit.sign_data("signer", b64(message), marshaling_algorithm="jws")["data"]["signature"]
        check("jws marshaling is 64 raw bytes in base64url", len(base64.urlsafe_b64decode(jws.split(":")[2] + "==")) == 64)
        check("a jws signature verifies", transit.verify_signed_data("signer", b64(message), signature=jws, marshaling_algorithm="jws")["data"]["valid"])

        # RSA-2048: PSS (Vault's default) and PKCS#1 v1.5.
        transit.create_key("rsa", key_type="rsa-2048")
        rsa_pem = transit.read_key("rsa")["data"]["keys"]["1"]["public_key"]
        pem_path = write_temp(tmp, "rsa.pem", rsa_pem)
        pss = transit.sign_data("rsa", b64(message))["data"]["signature"]
        check("rsa-2048 pss verify", transit.verify_signed_data("rsa", b64(message), signature=pss)["data"]["valid"])
        ok, out = openssl_verify(
            ["dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-2", "-verify", pem_path, "-signature", write_temp(tmp, "pss.sig", signature_bytes(pss))],
            message,
        )
        check("openssl verifies the rsa-2048 pss signature", ok, out)
        pkcs1 = transit.sign_data("rsa", b64(message), signature_algorithm="pkcs1v15", hash_algorithm="sha2-512")["data"]["signature"]
        check(
            "rsa-2048 pkcs1v15 sha2-512 verify",
            transit.verify_signed_data("rsa", b64(message), signature=pkcs1, signature_algorithm="pkcs1v15", hash_algorithm="sha2-512")["data"]["valid"],
        )
        ok, out = openssl_verify(
            ["dgst", "-sha512", "-verify", pem_path, "-signature", write_temp(tmp, "p1.sig", signature_bytes(pkcs1))],
            message,
        )
        check("openssl verifies the rsa-2048 pkcs1v15 signature", ok, out)
        rsa_ct = transit.encrypt_data("rsa", b64(b"wrapped secret"))["data"]["ciphertext"]
        check("rsa-2048 encrypt and decrypt", base64.b64decode(transit.decrypt_data("rsa", rsa_ct)["data"]["plaintext"]) == b"wrapped secret")

        # Ed25519: the public key is the raw 32 bytes in base64.
        transit.create_key("ed", key_type="ed25519")
        raw = base64.b64decode(transit.read_key("ed")["data"]["keys"]["1"]["public_key"])
        check("ed25519 public key is 32 raw bytes", len(raw) == 32)
        ed = transit.sign_data("ed", b64(message))["data"]["signature"]
        check("ed25519 verify", transit.verify_signed_data("ed", b64(message), signature=ed)["data"]["valid"])
        spki = bytes.fromhex("302a300506032b6570032100") + raw
        der_path = write_temp(tmp, "ed.der", spki)
        ok, out = openssl_verify(
            ["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", der_path, "-rawin", "-sigfile", write_temp(tmp, "ed.sig", signature_bytes(ed)), "-in"],
            message,
        )
        check("openssl verifies the ed25519 signature", ok, out)

        # Batch signing (hvac 0.11's sign_data has no batch_input: a plain write).
        batch = client.write("transit/sign/signer", batch_input=[{"input": b64(b"a")}, {"input": b64(b"b")}])
        sigs = [r["signature"] for r in batch["data"]["batch_results"]]
        checks = client.write(
            "transit/verify/signer",
            batch_input=[{"input": b64(b"a"), "signature": sigs[0]}, {"input": b64(b"a"), "signature": sigs[1]}],
        )["data"]["batch_results"]
        check("batch sign and verify", [r["valid"] for r in checks] == [True, False])

    # Errors as Vault clients expect them.
    try:
        transit.decrypt_data("nosuchkey", old)
        check("decrypt with an unknown key fails", False)
    except hvac.exceptions.InvalidRequest as e:
        check("decrypt with an unknown key is InvalidRequest", "not found" in str(e).lower(), str(e))
    bad = hvac.Client(url=a.url, token="not-a-token", **tls)
    try:
        bad.secrets.transit.read_key("orders")
        check("a bad token is refused", False)
    except hvac.exceptions.Forbidden:
        check("a bad token is hvac's Forbidden", True)

    # Delete opens a destruction request (202) instead of deleting at once.
    transit.update_key_configuration("orders", deletion_allowed=True)
    response = transit.delete_key("orders")
    check("delete answers 202 with the approval", response.status_code == 202 and response.json()["data"]["approval"]["action"] == "key.destroy")

    print(f"{len(PASSED)} passed, 0 failed", flush=True)


if __name__ == "__main__":
    main()
