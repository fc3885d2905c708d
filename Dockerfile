# restream-mock in a container (restream-proxy, restream-gateway and restream-check are in the image too).
#   docker build -t restreamkit --build-arg VERSION=v0.1.0 .
#   docker run --rm -p 8080-8082:8080-8082 restreamkit
# The image holds nothing but the static binaries, CA certificates (for the proxy and the
# gateway in front of https://api.restream.io), the LICENSE and the README, and runs as a user
# without privileges. CI does not build it (no container daemon there); the tests check that
# what it sets (the ENV variables, the HEALTHCHECK) is what the binary understands.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -buildid= -X github.com/restreamkit/restreamkit/internal/version.set=${VERSION}" \
      -o /out/ ./cmd/restream-mock ./cmd/restream-proxy ./cmd/restream-gateway ./cmd/restream-check

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/ /usr/local/bin/
COPY LICENSE README.md /usr/share/doc/restreamkit/
USER 65532:65532
# Inside the container the mock must listen on every interface to be reachable through the
# published ports; its control API still answers only loopback Hosts (localhost:8080 from the
# machine that publishes them) unless RESTREAM_MOCK_ALLOW_HOST says more.
ENV RESTREAM_MOCK_ADDR=0.0.0.0:8080 \
    RESTREAM_MOCK_STREAMING_ADDR=0.0.0.0:8081 \
    RESTREAM_MOCK_CHAT_ADDR=0.0.0.0:8082
EXPOSE 8080 8081 8082
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s CMD ["/usr/local/bin/restream-mock", "--probe"]
ENTRYPOINT ["/usr/local/bin/restream-mock"]
