#!/usr/bin/env bash
# A CI pipeline step: sign a build artefact with a FerroHSM key, writing a detached
# signature and the public key that verifies it.
#
#   sign.sh ARTEFACT OUT_DIR
#
# Environment (the pipeline's secrets and settings):
#   FERROHSM_ADDR          server URL, e.g. https://hsm.example:8443
#   FERROHSM_CA            CA certificate (PEM) of the server's certificate (https)
#   FERROHSM_CLIENT_CERT   the pipeline's client certificate and key (PEM), when the
#   FERROHSM_CLIENT_KEY    server requires mutual TLS; the token is then bound to it
#   FERROHSM_CI_KEYSET     JWKS holding the pipeline's private token-signing key (its
#                          public half is in the server's --jwt-keyset); a CI secret
#   FERROHSM_CI_KID        that key's kid (default: the keyset's first private key)
#   FERROHSM_CI_SUBJECT    the actor the audit log names, e.g. ci:$PIPELINE_ID
#   FERROHSM_SIGNING_KEY   id of the FerroHSM key that signs (EC-P256: ECDSA SHA-256, DER)
#   FERROHSM_TOKEN_TTL     token lifetime in seconds (default 120, at most 300)
#   FERROHSM               how to run the CLI (default: ferrohsm)
#
# The token is a Service token (key:read and key:use only) minted here for this step,
# passed to the CLI in the environment (never on a command line), and gone when the
# step ends. Writes OUT_DIR/<artefact>.sig (DER signature), OUT_DIR/public.pem and
# OUT_DIR/<artefact>.sha256.
set -euo pipefail

die() { echo "sign.sh: $*" >&2; exit 2; }
[ $# -eq 2 ] || die "usage: sign.sh ARTEFACT OUT_DIR"
artefact=$1
out=$2
[ -f "$artefact" ] || die "no such artefact: $artefact"
: "${FERROHSM_ADDR:?set FERROHSM_ADDR}" "${FERROHSM_CI_KEYSET:?set FERROHSM_CI_KEYSET}"
: "${FERROHSM_CI_SUBJECT:?set FERROHSM_CI_SUBJECT}" "${FERROHSM_SIGNING_KEY:?set FERROHSM_SIGNING_KEY}"
ttl=${FERROHSM_TOKEN_TTL:-120}
[[ $ttl =~ ^[0-9]+$ ]] && [ "$ttl" -ge 1 ] && [ "$ttl" -le 300 ] || die "FERROHSM_TOKEN_TTL must be 1 to 300"
read -r -a cli <<< "${FERROHSM:-ferrohsm}"

connection=(--addr "$FERROHSM_ADDR")
[ -n "${FERROHSM_CA:-}" ] && connection+=(--ca "$FERROHSM_CA")
mint=(token mint --keyset "$FERROHSM_CI_KEYSET" --sub "$FERROHSM_CI_SUBJECT" --roles Service --ttl "$ttl")
[ -n "${FERROHSM_CI_KID:-}" ] && mint+=(--kid "$FERROHSM_CI_KID")
bound=""
if [ -n "${FERROHSM_CLIENT_CERT:-}" ]; then
  [ -n "${FERROHSM_CLIENT_KEY:-}" ] || die "FERROHSM_CLIENT_CERT needs FERROHSM_CLIENT_KEY"
  connection+=(--cert "$FERROHSM_CLIENT_CERT" --key "$FERROHSM_CLIENT_KEY")
  # RFC 8705 x5t#S256: base64url SHA-256 of the certificate's DER, no padding.
  thumbprint=$(openssl x509 -in "$FERROHSM_CLIENT_CERT" -outform DER |
    openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')
  mint+=(--cnf-x5t-s256 "$thumbprint")
  bound=", bound to certificate $thumbprint"
fi

FERROHSM_TOKEN=$("${cli[@]}" "${mint[@]}")
export FERROHSM_TOKEN
echo "sign.sh: minted a Service token for $FERROHSM_CI_SUBJECT valid ${ttl}s$bound" >&2

mkdir -p "$out"
base=$(basename "$artefact")
"${cli[@]}" "${connection[@]}" sign "$FERROHSM_SIGNING_KEY" --in "$artefact" --out "$out/$base.sig"
"${cli[@]}" "${connection[@]}" key public "$FERROHSM_SIGNING_KEY" --out "$out/public.pem"
(cd "$(dirname "$artefact")" && sha256sum "$base") > "$out/$base.sha256"
unset FERROHSM_TOKEN
echo "sign.sh: wrote $out/$base.sig and $out/public.pem" >&2
