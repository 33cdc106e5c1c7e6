#!/bin/sh
# Runs every fuzz target for SECONDS seconds each (default 20), seeded from the sample library
# and the test fixtures, with a dictionary of YAML and Markdown tokens. Needs nightly Rust and
# cargo-fuzz: `rustup toolchain install nightly && cargo install cargo-fuzz`.
set -eu
SECONDS_EACH=${1:-20}
cd "$(dirname "$0")"
for t in front_matter coe_file query parse_cache config; do
  mkdir -p "corpus/$t"
done
# Seeds: every COE file, and its front matter alone.
find ../content ../tests/fixtures -name '*.md' | while read -r f; do
  h=$(cksum "$f" | cut -d' ' -f1)
  cp "$f" "corpus/coe_file/$h"
  awk 'NR==1 && $0=="---"{inside=1; next} inside && $0=="---"{exit} inside' "$f" > "corpus/front_matter/$h"
done
for q in 'dns timeout' '"connection pool" -canary' 'service:checkout severity:sev1' 'tag:dns OR ttl'; do
  printf '%s' "$q" > "corpus/query/$(printf '%s' "$q" | cksum | cut -d' ' -f1)"
done
cp ../coe.toml corpus/config/sample 2>/dev/null || true
find ../tests/fixtures -name coe.toml | while read -r f; do cp "$f" "corpus/config/$(cksum "$f" | cut -d' ' -f1)"; done
for t in front_matter coe_file query parse_cache config; do
  echo "== $t"
  cargo +nightly fuzz run "$t" "corpus/$t" -- -dict=dict.txt -max_total_time="$SECONDS_EACH" -max_len=65536 2>&1 \
    | grep -E '^(#[0-9]+ *DONE|Done|==[0-9]+==|SUMMARY)' || true
done
