# trustjob build entry points. `make build` is the one static build: CI runs it
# (.ci/run) and so does the Dockerfile's builder stage, so the image is built
# by exactly the command CI exercises.

GO          ?= go
BIN         ?= bin/trustjob
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The string variable `trustjob version` prints; -X silently ignores a name
# that does not exist, so manifests/build_test.go checks that it does.
VERSION_VAR ?= github.com/trustjob/trustjob/internal/app.version

.PHONY: build clean e2e

## build: static, reproducible trustjob binary in $(BIN)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X $(VERSION_VAR)=$(VERSION)" -o $(BIN) ./cmd/trustjob

## e2e: manifests, kube-score, Terraform syntax and the real control-plane test
e2e:
	bash test/e2e/run.sh

clean:
	rm -rf bin
