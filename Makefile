# restreamkit: a fake Restream (restream-mock), a validating proxy (restream-proxy) and a Go
# test package (restreamtest). `make run` starts the mock; `make test` runs every test.
GO ?= go

.PHONY: all run test lint generate check-generated build bench dist release npm fuzz

all: build

## run: start restream-mock on 127.0.0.1 with the embedded fixtures
run:
	$(GO) run ./cmd/restream-mock

# The dashboards' and the consent page's Chromium tests save their screenshots here.
RESTREAM_ARTIFACTS ?= $(CURDIR)/artifacts/screenshots

## test: every Go test with the race detector (Chromium screenshots in artifacts/screenshots)
test:
	RESTREAM_ARTIFACTS=$(RESTREAM_ARTIFACTS) $(GO) test -race -count=1 ./...

## fuzz: every Go fuzz target for FUZZTIME each (CI runs them for a few seconds; a long run takes minutes each)
FUZZTIME ?= 3m
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

## build: every command (restream-mock, restream-proxy, restream-gateway, restream-check) into bin/
build:
	$(GO) build -o bin/ ./cmd/...

## release: for linux, darwin and windows on amd64 and arm64, static binaries in one archive per platform (with LICENSE and README) and SHA256SUMS, into dist/; reproducible: the same commit gives the same bytes
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
release:
	$(GO) run ./tools/release -version $(VERSION) -out dist

## npm: the npm packages (restreamkit, and restreamkit-<os>-<cpu> for each platform) into dist/npm/
npm:
	$(GO) run ./tools/release -version $(VERSION) -out dist -npm

## dist: the same as release
dist: release

## generate: regenerate api/gen from openapi/
generate:
	$(GO) generate ./...

## check-generated: fail when api/gen is stale
check-generated: generate
	git diff --exit-code -- api/gen
	@test -z "$$(git status --porcelain -- api/gen)" || { git status --porcelain -- api/gen; echo "api/gen has files go generate made that are not committed"; exit 1; }

## lint: gofmt, go vet, the Spectral rulesets on the spec and the JSON Schemas, and the AsyncAPI CLI on the WebSocket feeds
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt would change:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	@npm ls --depth=0 >/dev/null 2>&1 || npm ci --no-audit --no-fund
	node_modules/.bin/spectral lint --fail-severity=warn --ruleset rules/restream-rules.yml openapi/restream-openapi.yml
	node_modules/.bin/spectral lint --fail-severity=warn --ruleset rules/control-rules.yml openapi/control-openapi.yml
	node_modules/.bin/spectral lint --fail-severity=warn --fail-on-unmatched-globs --ruleset rules/restream-jsonschema-rules.yml 'openapi/schemas/*.json' 'openapi/schemas/ws/*.json'
	bash rules/check-rules.sh
	@# The AsyncAPI CLI must not reach the network: analytics off through its config file (kept in
	@# node_modules, not in $$HOME), no CLI update check and no npm update notice; node-config's
	@# NODE_ENV warnings are silenced. --fail-severity=warn fails on warnings as well as errors.
	@printf '{"analyticsEnabled":"false","infoMessageShown":"true","userID":"restreamkit-lint"}' >node_modules/.asyncapi-analytics
	ASYNCAPI_METRICS_CONFIG_PATH=node_modules/.asyncapi-analytics ASYNCAPI_SKIP_NEW_VERSION_CHECK=true npm_config_update_notifier=false \
		SUPPRESS_NO_CONFIG_WARNING=1 SUPPRESS_STRICTNESS_CHECK=1 \
		npx --no-install asyncapi validate --fail-severity=warn openapi/restream-asyncapi.yml

## bench: Go benchmarks of the request path and the validator, then the load test against a bare handler
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/mock/ ./internal/validate/ ./internal/oauth/ ./internal/wsmock/ \
		./internal/gateway/ ./internal/gateway/mcpserver/ ./internal/gateway/upstream/
	bash bench/load.sh 10s 50 1
	bash bench/proxy.sh
	bash bench/gateway.sh
	bash bench/ws.sh
	bash bench/memory.sh
