# Chromium, for the browser tests of the dashboard (internal/dashboard, cmd/etl
# TestDashboard): they start Debian's chromium headless themselves (a new empty profile,
# the DevTools protocol over a pipe), load the page from file:// and take a screenshot.
# Sourced by scripts/test. This only makes sure the browser and fonts for the simulator's
# app names (CJK, emoji) are there, and exports:
#   ETL_TEST_CHROMIUM     path of the chromium binary
#   ETL_TEST_ARTIFACTS    where the tests leave their screenshots (kept after the run)

chromium_pkgs=()
chromium_fonts=$(fc-list 2>/dev/null || true)
if [ ! -x /usr/bin/chromium ]; then chromium_pkgs+=(chromium); fi
case "$chromium_fonts" in *DroidSansFallback*) ;; *) chromium_pkgs+=(fonts-droid-fallback) ;; esac
case "$chromium_fonts" in *NotoColorEmoji*) ;; *) chromium_pkgs+=(fonts-noto-color-emoji) ;; esac
if [ ${#chromium_pkgs[@]} -gt 0 ]; then
	chromium_sudo=()
	if [ "$(id -u)" != 0 ]; then chromium_sudo=(sudo); fi
	export DEBIAN_FRONTEND=noninteractive
	if ! "${chromium_sudo[@]}" apt-get install -y --no-install-recommends "${chromium_pkgs[@]}" >&2; then
		"${chromium_sudo[@]}" apt-get update >&2
		"${chromium_sudo[@]}" apt-get install -y --no-install-recommends "${chromium_pkgs[@]}" >&2
	fi
fi
ETL_TEST_CHROMIUM=/usr/bin/chromium
export ETL_TEST_CHROMIUM
ETL_TEST_ARTIFACTS=${ETL_TEST_ARTIFACTS:-${TMPDIR:-/tmp}/etl-test-artifacts}
mkdir -p "$ETL_TEST_ARTIFACTS"
export ETL_TEST_ARTIFACTS
echo "scripts/test: chromium $("$ETL_TEST_CHROMIUM" --version 2>/dev/null | head -1); screenshots in $ETL_TEST_ARTIFACTS" >&2
