#!/usr/bin/env bash
# Runs every test of Refly Dashboard: unit, component (bUnit), integration (real HTTP against the built-in
# Klaviyo sandbox) and browser tests (Playwright driving Debian's chromium). Installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests..."
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

dotnet tool restore >/dev/null
dotnet build Refly.Dashboard.sln -c Release -warnaserror -nologo -clp:ErrorsOnly

results="$(pwd)/TestResults"
rm -rf "$results"
status=0
dotnet test Refly.Dashboard.sln -c Release --no-build --nologo \
  --logger "trx;LogFileName=refly.trx" --logger "console;verbosity=minimal" \
  --results-directory "$results" "$@" || status=$?

# One plain closing line that CI and people can read: "N passed, N failed".
trx="$(find "$results" -name 'refly.trx' | head -n 1)"
if [ -n "$trx" ]; then
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total="$(count total)"; passed="$(count passed)"; failed="$(count failed)"
  skipped=$(( total - passed - failed ))
  echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
else
  echo "tests: 0 passed, 1 failed"
  status=1
fi
exit "$status"
