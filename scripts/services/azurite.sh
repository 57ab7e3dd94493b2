# Azurite, Microsoft's Azure Blob Storage emulator, for the storage conformance test
# (internal/blobs). Sourced by scripts/test, which provides ETL_SERVICES_DIR,
# ETL_SERVICE_PIDS and wait_for.
#
# Installs azurite from npm into a cache directory once (3.35.0 is the last release that
# runs on Node 20; 3.36+ need Node 21+), starts the blob service on a free loopback port
# with telemetry off and storage in memory (nothing written to disk), and exports:
#   AZURITE_BLOB_ENDPOINT   http://127.0.0.1:<port>/devstoreaccount1
#   AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY   Azurite's well-known development account
# (public constants documented by Microsoft; not a secret).

azurite_version=3.35.0
azurite_dir="${XDG_CACHE_HOME:-$HOME/.cache}/etl-test/azurite-$azurite_version"
if [ ! -x "$azurite_dir/node_modules/.bin/azurite-blob" ]; then
	if ! command -v npm >/dev/null; then
		echo "scripts/services/azurite.sh: npm not found; install Node.js (apt-get install nodejs npm)" >&2
		return 1
	fi
	mkdir -p "$azurite_dir"
	(cd "$azurite_dir" && npm install --no-audit --no-fund --loglevel=error "azurite@$azurite_version") >&2
fi

azurite_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
	echo $((20000 + RANDOM % 20000)))
"$azurite_dir/node_modules/.bin/azurite-blob" \
	--blobHost 127.0.0.1 --blobPort "$azurite_port" \
	--inMemoryPersistence \
	--skipApiVersionCheck --loose --disableTelemetry --silent \
	>"$ETL_SERVICES_DIR/azurite.log" 2>&1 &
ETL_SERVICE_PIDS+=("$!")
if ! wait_for "http://127.0.0.1:$azurite_port/" 60; then
	cat "$ETL_SERVICES_DIR/azurite.log" >&2
	return 1
fi

export AZURITE_BLOB_ENDPOINT="http://127.0.0.1:$azurite_port/devstoreaccount1"
export AZURE_STORAGE_ACCOUNT=devstoreaccount1
export AZURE_STORAGE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
echo "azurite $azurite_version: $AZURITE_BLOB_ENDPOINT"
