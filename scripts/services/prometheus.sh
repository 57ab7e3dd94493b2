# Prometheus, for the integration test in internal/schedule that has a real Prometheus
# scrape `etl schedule`'s /metrics and reads a metric back through its HTTP API. Sourced
# by scripts/test. The test starts Prometheus itself (generated config, temporary
# storage, free port), so this only makes sure the binary is there and exports:
#   ETL_TEST_PROMETHEUS   path of the prometheus binary

if ! command -v prometheus >/dev/null; then
	prom_sudo=()
	if [ "$(id -u)" != 0 ]; then prom_sudo=(sudo); fi
	export DEBIAN_FRONTEND=noninteractive
	if ! "${prom_sudo[@]}" apt-get install -y --no-install-recommends prometheus >&2; then
		"${prom_sudo[@]}" apt-get update >&2
		"${prom_sudo[@]}" apt-get install -y --no-install-recommends prometheus >&2
	fi
	# The package enables a system service; the test wants no Prometheus but its own.
	if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
		"${prom_sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
	fi
fi
ETL_TEST_PROMETHEUS=$(command -v prometheus)
export ETL_TEST_PROMETHEUS
