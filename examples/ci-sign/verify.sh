#!/usr/bin/env bash
# The verify step: checks a detached signature made by sign.sh with openssl alone.
#
#   verify.sh ARTEFACT SIGNATURE PUBLIC_PEM
#
# Exits 0 when the signature (DER ECDSA, or RSA PKCS#1 v1.5, over SHA-256) verifies,
# non-zero otherwise. Needs no access to FerroHSM.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: verify.sh ARTEFACT SIGNATURE PUBLIC_PEM" >&2; exit 2; }
openssl dgst -sha256 -verify "$3" -signature "$2" "$1"
