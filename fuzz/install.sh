#!/bin/sh
# Installs what fuzz/run.sh needs, once: nightly Rust (cargo-fuzz builds with sanitizers) and
# cargo-fuzz. Safe to run again: each is installed only when missing.
set -eu
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
