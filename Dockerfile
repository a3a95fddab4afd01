# syntax=docker/dockerfile:1
#
# Gatehouse container image: a static binary on distroless, run as a
# non-root user. deploy/dockerfile_test.go builds the binary with the very
# command of the build stage below, so keep that RUN line one `go build`.
#
#   docker build -t gatehouse .
#   docker run -p 8080:8080 -v gatehouse-data:/data gatehouse
#
# The image has no shell, so it has no HEALTHCHECK: let the orchestrator
# probe GET /readyz (readiness) and GET /healthz (liveness); docs/deploy.md.

# The builder runs on the build machine's platform and cross-compiles for
# the target one (pure Go, no cgo), so `docker buildx --platform` is fast.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /gatehouse ./cmd/gatehouse
# The volume's mount point, owned by the runtime user: a fresh named volume
# copies it, so the server can write gatehouse.db and master.key there.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /gatehouse /gatehouse
COPY --from=build --chown=65532:65532 /out/data /data
# 65532 is distroless's "nonroot"; numeric so Kubernetes' runAsNonRoot can
# check it without reading /etc/passwd.
USER 65532:65532
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/gatehouse"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--data-dir", "/data"]
