# trustjob build entry points. `make build` is the one static build: CI runs it
# (.ci/run) and so does the Dockerfile's builder stage, so the image is built
# by exactly the command CI exercises.

GO          ?= go
BIN         ?= bin/trustjob
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The string variable `trustjob version` prints; -X silently ignores a name
# that does not exist, so manifests/build_test.go checks that it does and
# .ci/release-build that the built binary prints VERSION.
VERSION_VAR ?= github.com/trustjob/trustjob/internal/app.version
# Build tags. `release` leaves the IBM Cloud emulator (internal/cloudsim, the
# demo and sim commands) out of the binary; `make build TAGS=` keeps it.
TAGS        ?= release

.PHONY: build clean e2e

## build: static, reproducible trustjob release binary (no emulator) in $(BIN)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(TAGS)' -ldflags "-s -w -X $(VERSION_VAR)=$(VERSION)" -o $(BIN) ./cmd/trustjob

## e2e: manifests, kube-score, Terraform syntax and the real control-plane test
e2e:
	bash test/e2e/run.sh

clean:
	rm -rf bin
