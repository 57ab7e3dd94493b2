# etl: App Store Connect reports into Parquet and DuckDB.
#
#   docker build -t ascetl/etl .
#   docker run --rm -v "$PWD/data:/var/lib/etl/data" ascetl/etl run          # embedded simulator
#   docker run --rm -v "$PWD/config.yaml:/etc/etl/config.yaml:ro" -e ASC_PRIVATE_KEY="$(cat AuthKey.p8)" ascetl/etl run
#
# DuckDB is linked through cgo (duckdb-go ships a static libduckdb built against glibc and
# libstdc++), so the binary is built with CGO_ENABLED=1 on Debian and the runtime image is
# Debian slim (glibc, libstdc++6), not scratch, distroless/static or Alpine (musl).

ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/etl ./cmd/etl

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libstdc++6 tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/etl --create-home etl
COPY --from=build /out/etl /usr/local/bin/etl
COPY config.yaml /etc/etl/config.yaml
USER 10001
WORKDIR /var/lib/etl
# /healthz and /metrics of `etl schedule`
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/etl"]
CMD ["run", "--config", "/etc/etl/config.yaml"]
