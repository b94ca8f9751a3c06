#!/bin/sh
# FerroHSM release launcher (copied into the release folder as `ferrohsm`).
#
# Runs the bundled program with the deno binary shipped beside it and the least Deno
# permissions for the command: launcher.js (src/cli/permissions.ts, bundled) derives
# the flags from the command line and FERROHSM_* variables, one per line; this script
# then execs `deno run <flags> ferrohsm.js "$@"`, so the server is this process (signals
# and exit codes reach it directly). The derivation step holds --allow-read and
# --allow-env=FERROHSM_* only. Paths containing newlines are refused.
set -eu

# Resolve symlinks to this script, then the folder's physical path: permission flags
# name physical paths, as require() and dlopen() see them.
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=$(dirname "$self")/$link ;;
  esac
done
home=$(cd -P "$(dirname "$self")" && pwd -P)

# No update check, no deno.json / package.json discovery from the working directory.
DENO_NO_UPDATE_CHECK=1
DENO_NO_PACKAGE_JSON=1
export DENO_NO_UPDATE_CHECK DENO_NO_PACKAGE_JSON

flags=$("$home/deno" run --quiet --no-config --no-lock --no-prompt \
  --allow-read --allow-env='FERROHSM_*' "$home/launcher.js" "$@") || exit $?

nl='
'
IFS=$nl
set -f
# shellcheck disable=SC2086 # one flag per line, split on newlines only, no globbing
exec "$home/deno" run --quiet --no-config --no-lock $flags "$home/ferrohsm.js" "$@"
