# Sourced by scripts/test.sh: the machine packages the tests need beyond bootstrap.sh's.
# Idempotent: installs only what is missing (Debian's chromium for the browser tests in e2e/browser).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium (browser tests)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 \
      || echo "chromium did not install: the browser tests will fail" >&2
  else
    echo "chromium is missing and cannot be installed here (needs root and apt-get): sudo apt-get install -y chromium" >&2
  fi
fi
