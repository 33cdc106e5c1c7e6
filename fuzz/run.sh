#!/bin/sh
# Runs every fuzz target for SECONDS seconds each (default 20), one process at a time, seeded
# from the sample library, the test fixtures and fuzz/seeds/ (files of .coe/ from a real
# build), with a dictionary of YAML, Markdown and .coe/ tokens. Installs nightly Rust and
# cargo-fuzz first when missing (fuzz/install.sh). `fuzz/run.sh 20 query listing` runs only
# those targets. Prints one row per target (runs, seconds, coverage: edges and features,
# crashes) for docs/fuzzing.md; exits non-zero when a target crashed (its input is then in
# fuzz/artifacts/TARGET/).
set -eu
SECONDS_EACH=${1:-20}
[ $# -gt 0 ] && shift
TARGETS=${*:-front_matter coe_file query search parse_cache config manifest build_state listing}
cd "$(dirname "$0")"
./install.sh
for t in $TARGETS; do
  mkdir -p "corpus/$t"
  if [ -d "seeds/$t" ]; then cp seeds/"$t"/* "corpus/$t/"; fi
done
# Seeds: every COE file, and its front matter alone.
find ../content ../tests/fixtures -name '*.md' | while read -r f; do
  h=$(cksum "$f" | cut -d' ' -f1)
  if [ -d corpus/coe_file ]; then cp "$f" "corpus/coe_file/$h"; fi
  if [ -d corpus/front_matter ]; then
    awk 'NR==1 && $0=="---"{inside=1; next} inside && $0=="---"{exit} inside' "$f" > "corpus/front_matter/$h"
  fi
done
for t in query search; do
  [ -d "corpus/$t" ] || continue
  for q in 'dns timeout' '"connection pool" -canary' 'service:checkout severity:sev1' 'tag:dns OR ttl' \
    'bold tag -tag:escaping' '"mark" & <b> snippet' 'certificate expiry -year:2023' 'İstanbul straße'; do
    printf '%s' "$q" > "corpus/$t/$(printf '%s' "$q" | cksum | cut -d' ' -f1)"
  done
done
if [ -d corpus/config ]; then
  cp ../coe.toml corpus/config/sample
  find ../tests/fixtures -name coe.toml | while read -r f; do cp "$f" "corpus/config/$(cksum "$f" | cut -d' ' -f1)"; done
fi
for t in $TARGETS; do
  cargo +nightly fuzz build -a "$t" >/dev/null 2>build.log || { cat build.log; exit 1; }
done
failed=0
echo "| target | runs | seconds | edges (cov) | features (ft) | crashes |"
for t in $TARGETS; do
  log="corpus/$t.log"
  status=0
  cargo +nightly fuzz run -a "$t" "corpus/$t" -- -dict=dict.txt -max_total_time="$SECONDS_EACH" \
    -max_len=65536 -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1
    failed=1
    grep -E '^(==[0-9]+==|SUMMARY|thread)' "$log" >&2 || tail -20 "$log" >&2
  fi
  echo "| $t | ${runs:-?} | $SECONDS_EACH | ${cov:-?} | ${ft:-?} | $crashes |"
done
exit $failed
