"""FerroHSM from Python: create a key, encrypt/decrypt, sign/verify, handle errors.

Usage:
  FERROHSM_TOKEN=<jwt> python3 demo.py --url https://hsm:8443 --ca ca.pem \
      [--cert client.pem --key client.key]

The token is read from FERROHSM_TOKEN (or --token-file), never from the command line,
where other users could see it. The script mints nothing. It prints the request id of
each operation; `GET /api/v1/audit` shows the same ids in `request_id`.
"""

import argparse
import json
import os
import sys

from ferrohsm_client import FerroHsmClient, FerroHsmError, NotFound


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", help="CA certificate (PEM) that signed the server's certificate")
    parser.add_argument("--cert", help="client certificate (PEM) for mutual TLS")
    parser.add_argument("--key", help="the client certificate's private key (PEM)")
    parser.add_argument("--token-file", help="file holding the JWT (default: $FERROHSM_TOKEN)")
    parser.add_argument("--name", default="python-example")
    a = parser.parse_args()
    if a.token_file:
        with open(a.token_file) as f:
            token = f.read().strip()
    else:
        token = os.environ.get("FERROHSM_TOKEN", "")
    if not token:
        parser.error("give a token in FERROHSM_TOKEN or --token-file")

    hsm = FerroHsmClient(a.url, token, a.ca, a.cert, a.key, log=lambda line: print(line, file=sys.stderr))
    try:
        aes = hsm.create_key(f"{a.name}-aes", "AES-256-GCM")
        ciphertext = hsm.encrypt(aes["id"], b"account 42", aad=b"customer-7")
        assert hsm.decrypt(aes["id"], ciphertext, aad=b"customer-7") == b"account 42"

        ec = hsm.create_key(f"{a.name}-ec", "EC-P256")
        signature = hsm.sign(ec["id"], b"release 1.0")
        assert hsm.verify(ec["id"], b"release 1.0", signature) is True
        assert hsm.verify(ec["id"], b"release 1.1", signature) is False

        # An error the caller handles: the contract's not_found, as its own class.
        try:
            hsm.get_key("no-such-key")
            raise AssertionError("expected not_found")
        except NotFound as err:
            missing = err.code
    except FerroHsmError as err:
        print(f"FerroHSM refused: {err}", file=sys.stderr)
        return 1
    print(json.dumps({
        "aes_key": aes["id"],
        "ec_key": ec["id"],
        "ciphertext_prefix": ciphertext.split(":")[0] + ":" + ciphertext.split(":")[1],
        "signature_bytes": len(signature),
        "handled_error": missing,
        "retries": hsm.retries,
        "request_ids": hsm.request_ids,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
