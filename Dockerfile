# scopesmith in a container: `docker run --rm -v "$PWD:/src" scopesmith scan /src`.
#
# Stage 1 builds a static (musl) binary with the `dist` profile; the scan-only build
# (--no-default-features) is enough for scan, plan, fix and report, and keeps the TLS stack
# out. Stage 2 is an empty image holding the binary alone (no shell, no package manager),
# running as an unprivileged user. Build the online commands too with:
#   docker build --build-arg FEATURES=online -t scopesmith .
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /build
ARG FEATURES=""
# Dependencies first, so that source edits reuse the cached dependency layer.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --locked --profile dist --no-default-features --features "$FEATURES" \
    && rm -rf src
COPY src ./src
COPY rules ./rules
RUN touch src/main.rs src/lib.rs \
    && cargo build --locked --profile dist --no-default-features --features "$FEATURES" \
    && ./target/dist/scopesmith --version

FROM scratch
COPY --from=build /build/target/dist/scopesmith /scopesmith
# The scanned tree is mounted here; git is not in the image, so `--diff-base` needs a
# checkout outside the container (or the GitHub Action).
WORKDIR /src
USER 65534:65534
ENTRYPOINT ["/scopesmith"]
CMD ["scan", "."]
