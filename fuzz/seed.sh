#!/bin/sh
# Seeds fuzz/corpus/<target> from the test fixtures (FUZZING.md). Safe to rerun:
# libFuzzer adds what it finds next to the seeds.
set -eu
cd "$(dirname "$0")"
F=../tests/fixtures
C=corpus
mkdir -p $C/rules $C/feed_json $C/feed_csv $C/feed_merchant $C/feed_page $C/price $C/openfoodfacts $C/open_meteo
# Feed targets read a first byte choosing whether the feed has a default
# currency (odd: GBP), then the body.
for f in $F/catalog/*.json $F/catalog/*.jsonl; do printf '\001' | cat - "$f" > $C/feed_json/seed-$(basename "$f"); done
for f in $F/catalog/*.csv; do printf '\001' | cat - "$f" > $C/feed_csv/seed-$(basename "$f"); done
for f in $F/google-merchant/*; do printf '\000' | cat - "$f" > $C/feed_merchant/seed-$(basename "$f"); done
for f in $F/product-pages/*; do printf '\000' | cat - "$f" > $C/feed_page/seed-$(basename "$f"); done
for f in $F/openfoodfacts/*.json; do cp "$f" $C/openfoodfacts/seed-$(basename "$f"); done
for f in $F/open-meteo/*; do cp "$f" $C/open_meteo/seed-$(basename "$f"); done
cp ../rules.example.toml $C/rules/seed-example.toml
cp ../src/feeds/demo/rules.toml $C/rules/seed-demo.toml
# Price strings: "<input>\0<hint>" for every row of the cases table.
tail -n +2 $F/price-strings/cases.tsv | awk -F '\t' -v dir=$C/price '{
  f = sprintf("%s/seed-%04d", dir, NR); printf "%s%c%s", $1, 0, $4 > f; close(f) }'
