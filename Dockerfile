# syntax=docker/dockerfile:1
#
# trustjob image: a static binary on distroless "static" (CA certificates and
# tzdata included, no shell), running as the nonroot user 65532, which the
# manifests' securityContext also pins.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t icr.io/trustjob/trustjob:TAG .

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Dependencies first, so a source change does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# The same target CI runs (.ci/run; manifests/build_test.go keeps them in step):
# the release build, without the IBM Cloud emulator (.ci/release-build checks
# that none of it is linked in).
RUN make build VERSION=${VERSION} BIN=/out/trustjob

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/trustjob /trustjob
USER 65532:65532
ENTRYPOINT ["/trustjob"]
CMD ["run"]
