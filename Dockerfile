# The openwit binary in a small Debian image. The PostgreSQL parser
# (libpg_query) is compiled with cgo, so the build stage needs a C compiler
# (the golang image has one); the result links only glibc.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
# go.mod replaces one module with a directory of the repository.
COPY third_party ./third_party
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -o /out/openwit ./cmd/openwit

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/openwit /usr/local/bin/openwit
# The data and cache directories exist in the image, owned by openwit, so
# named volumes mounted there start with that owner (docker-compose.yml).
RUN useradd --system --home /var/lib/openwit --create-home openwit && \
    install -d -o openwit -g openwit /var/lib/openwit/data /var/lib/openwit/cache
USER openwit
WORKDIR /var/lib/openwit
# PostgreSQL wire, Flight SQL, HTTP (health, metrics), search, storage and
# cache services, gossip (TCP and UDP).
EXPOSE 5433 8815 8080 8816 8817 8818 7946 7946/udp
# Health checks (docker-compose.yml) use curl on GET /readyz.
ENTRYPOINT ["openwit"]
CMD ["serve", "--data-dir", "/var/lib/openwit/data"]
