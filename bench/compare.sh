#!/usr/bin/env bash
# Issue 6's comparison: basket against the tools people would script the same
# job with, its memory, its evaluation overhead, its fetching and its start-up,
# each against the targets of the issue. Prints a table of medians and ratios,
# then PASS/FAIL per target.
#
#   bash bench/compare.sh             # 1,000,000 items (the issue's figure)
#   ITEMS=100000 bash bench/compare.sh  # quicker, for trying the script
#   RUNS=5 bash bench/compare.sh      # more runs per timing (default 3)
#
# Needs root (or the tools installed) for `apt-get install`. Everything it writes
# is under one temporary directory, removed at exit with the server stopped.
# Run it on an otherwise idle machine: it measures wall time.

set -euo pipefail

ITEMS=${ITEMS:-1000000}
SMALL=${SMALL:-100000}
RUNS=${RUNS:-3}
RULES=${RULES:-100}
LATENCY_MS=200
FEEDS=20

cd "$(dirname "$0")/.."
ROOT=$PWD

# --- tools ---------------------------------------------------------------------
need=()
command -v xmlstarlet >/dev/null || need+=(xmlstarlet)
command -v jq >/dev/null || need+=(jq)
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} from Debian..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

echo "building (release)..." >&2
cargo build --release --quiet --bin basket --example gen-feed --example profile-eval
BASKET=$ROOT/target/release/basket
GEN=$ROOT/target/release/examples/gen-feed
PROFILE=$ROOT/target/release/examples/profile-eval

# --- scratch space, cleaned up whatever happens --------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/basket-compare.XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# hyperfine's median of one command, in seconds.
median() { # name, hyperfine args...
  local name=$1; shift
  hyperfine --style none --runs "$RUNS" --export-json "$TMP/$name.json" "$@" >/dev/null 2>&1 || {
    echo "nan"; return; }
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$TMP/$name.json"
}

# Peak resident set size of a command, in MiB (the kernel's own accounting):
# the median of RSS_RUNS runs, since the allocator's peak moves by a few MiB
# from run to run (which pages its heaps happen to touch), whatever the feed.
RSS_RUNS=${RSS_RUNS:-5}
peak_rss() {
  local i
  for ((i = 0; i < RSS_RUNS; i++)); do
    /usr/bin/time -v "$@" >/dev/null 2>"$TMP/time.txt" || true
    awk -F: '/Maximum resident set size/ {printf "%.1f\n", $2/1024}' "$TMP/time.txt"
  done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

# basket check over one feed, dry run: the run of the issue's targets.
check_cmd() { # rules file
  echo "$BASKET --rules $1 --data-dir $TMP/data --cache-dir $TMP/cache check --dry-run --no-input --format json"
}

# Did the check read the feed? A run that failed to read it would time nothing
# worth comparing, so it is reported instead of timed.
check_ok() { # rules file
  local out
  out=$($(check_cmd "$1") 2>&1) || true
  if echo "$out" | grep -q "feed 'shop'.*\(larger than\|failed\)"; then
    echo "$out" | grep -o "feed 'shop'[^\"]*" | head -1
    return 1
  fi
  return 0
}

echo "generating $ITEMS and $SMALL items (merchant XML, CSV, JSON Lines) in $TMP..." >&2
for n in "$ITEMS" "$SMALL"; do
  for f in merchant:xml csv:csv jsonl:jsonl; do
    fmt=${f%%:*} ext=${f##*:}
    [ -f "$TMP/feed-$n.$ext" ] && continue
    "$GEN" --items "$n" --format "$fmt" --out "$TMP/feed-$n.$ext"
    "$GEN" --rules "$RULES" --items "$n" --feed "$TMP/feed-$n.$ext" --out "$TMP/rules-$n-$ext.toml"
  done
done
mkdir -p "$TMP/data" "$TMP/cache"

declare -A R   # results
row() { printf '%-58s %14s %14s %10s\n' "$@"; }
ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print("%.2fx" % (a/b) if b==b and a==a and b>0 else "n/a")' "$1" "$2"; }
ms() { python3 -c 'import sys; v=float(sys.argv[1]); print("n/a" if v!=v else "%.0f ms" % (v*1000))' "$1"; }

# --- 3. basket vs the tools, on the same big files --------------------------------
echo "timing basket check and the single-filter tools ($RUNS runs each)..." >&2
THRESH=5
for ext in xml csv jsonl; do
  if reason=$(check_ok "$TMP/rules-$ITEMS-$ext.toml"); then
    R[check_$ext]=$(median "check-$ext" "$(check_cmd "$TMP/rules-$ITEMS-$ext.toml")")
  else
    R[check_$ext]=nan
    R[check_${ext}_why]=$reason
  fi
done
# An explicit path, as a user would write for a big feed: `//item` would make
# libxml2's XPath gather every node of the document first (~38 per item), and
# past its 10,000,000-node cap it answers "No result" (exit 4) at 1M items.
R[tool_xml]=$(median xmlstarlet "xmlstarlet sel -N g=http://base.google.com/ns/1.0 -t -v \"count(/rss/channel/item[number(substring-before(g:price,' ')) < $THRESH])\" $TMP/feed-$ITEMS.xml")
R[tool_jsonl]=$(median jq "jq -c 'select((.price|tonumber) < $THRESH) | .id' $TMP/feed-$ITEMS.jsonl")
cat >"$TMP/filter.py" <<EOF
import csv, sys
n = 0
with open(sys.argv[1], newline="") as f:
    for row in csv.DictReader(f):
        if float(row["price"]) < $THRESH:
            n += 1
print(n)
EOF
R[tool_csv]=$(median python-csv "python3 $TMP/filter.py $TMP/feed-$ITEMS.csv")

# --- 1. memory -------------------------------------------------------------------
echo "measuring peak memory..." >&2
for n in "$SMALL" "$ITEMS"; do
  for ext in xml csv jsonl; do
    if check_ok "$TMP/rules-$n-$ext.toml" >/dev/null; then
      # shellcheck disable=SC2046
      R[rss_${ext}_$n]=$(peak_rss $(check_cmd "$TMP/rules-$n-$ext.toml"))
    else
      R[rss_${ext}_$n]=nan
    fi
  done
done

# --- 2. evaluation overhead (engine fed by the streaming parsers, no CLI) ---------
echo "measuring parse-only vs parse+evaluate at $SMALL items..." >&2
for ext in xml csv jsonl; do
  # Best of at least 7: these runs are short, and a shared machine is noisy.
  line=$("$PROFILE" "$TMP/feed-$SMALL.$ext" --items "$SMALL" --rules "$RULES" --runs "$((RUNS < 7 ? 7 : RUNS))")
  R[parse_$ext]=$(echo "$line" | sed -n 's/.*: parse \([0-9.]*\) s;.*/\1/p')
  # As check runs it (the parser on a thread of its own), and on one thread.
  R[eval_$ext]=$(echo "$line" | sed -n 's/.*own thread, \([0-9.]*\) s.*/\1/p')
  R[eval1_$ext]=$(echo "$line" | sed -n 's/.*on one thread \([0-9.]*\) s.*/\1/p')
done

# --- 5. start-up -------------------------------------------------------------------
echo "measuring start-up..." >&2
"$GEN" --items 2000 --format jsonl --out "$TMP/small.jsonl"
cat >"$TMP/fill.toml" <<EOF
[settings]
currency = "GBP"
[feeds.shop]
kind = "json"
url = "$TMP/small.jsonl"
[[rule]]
name = "fill"
match = { feed = "shop" }
add = { limit = 1000, prefer = "first" }
EOF
"$BASKET" --rules "$TMP/fill.toml" --data-dir "$TMP/list" --cache-dir "$TMP/cache" check --yes --format json >/dev/null
R[list_items]=$("$BASKET" --rules "$TMP/fill.toml" --data-dir "$TMP/list" list --format csv | tail -n +2 | wc -l)
R[version]=$(RUNS=30 median version --shell=none -w 3 "$BASKET --version")
R[list]=$(RUNS=30 median list --shell=none -w 3 "$BASKET --rules $TMP/fill.toml --data-dir $TMP/list list")

# --- 4. fetching ---------------------------------------------------------------------
echo "measuring fetching from a loopback server answering after ${LATENCY_MS} ms..." >&2
"$GEN" --items 200 --format jsonl --out "$TMP/served.jsonl"
cat >"$TMP/server.py" <<'EOF'
# Serves one small feed under any path, each answer after a fixed delay, with an
# ETag so a conditional request gets a 304 (after the same delay).
import hashlib, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

body = open(sys.argv[1], "rb").read()
delay = float(sys.argv[2]) / 1000
etag = '"%s"' % hashlib.sha1(body).hexdigest()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        time.sleep(delay)
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

# listen()'s backlog is set when the server is made: the default of 5 would make
# 20 simultaneous connections wait for SYN retries (a second), not for basket.
ThreadingHTTPServer.request_queue_size = 128
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
python3 "$TMP/server.py" "$TMP/served.jsonl" "$LATENCY_MS" >"$TMP/port" &
SERVER_PID=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
PORT=$(head -1 "$TMP/port")
fetch_rules() { # n feeds -> rules file
  local f="$TMP/fetch-$1.toml"
  printf '[settings]\ncurrency = "GBP"\n' >"$f"
  for i in $(seq -w 1 "$1"); do
    printf '[feeds.f%s]\nkind = "json"\nurl = "http://127.0.0.1:%s/f%s.jsonl"\n' "$i" "$PORT" "$i" >>"$f"
  done
  printf '[[rule]]\nname = "cheap"\nmatch = { price = { below = "1.00" } }\nnotify = { limit = 5 }\n' >>"$f"
  echo "$f"
}
F1=$(fetch_rules 1)
F20=$(fetch_rules "$FEEDS")
fetch_cmd() { echo "$BASKET --rules $1 --data-dir $TMP/fdata --cache-dir $2 check --dry-run --no-input --format json"; }
R[fetch1]=$(median fetch1 --prepare "rm -rf $TMP/fc1" "$(fetch_cmd "$F1" "$TMP/fc1")")
R[fetch20]=$(median fetch20 --prepare "rm -rf $TMP/fc20" "$(fetch_cmd "$F20" "$TMP/fc20")")
$(fetch_cmd "$F20" "$TMP/fcw") >/dev/null   # fill the cache: every later answer is a 304
R[cached20]=$(median cached20 "$(fetch_cmd "$F20" "$TMP/fcw")")

# --- the table -------------------------------------------------------------------
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "feeds: $ITEMS items (XML $(du -h "$TMP/feed-$ITEMS.xml" | cut -f1), CSV $(du -h "$TMP/feed-$ITEMS.csv" | cut -f1), JSONL $(du -h "$TMP/feed-$ITEMS.jsonl" | cut -f1)); $RULES rules; medians of $RUNS runs"
echo
row "what" "basket" "other" "ratio"
row "check $ITEMS (merchant XML) vs xmlstarlet sel" "$(ms "${R[check_xml]}")" "$(ms "${R[tool_xml]}")" "$(ratio "${R[check_xml]}" "${R[tool_xml]}")"
row "check $ITEMS (CSV) vs python3 csv" "$(ms "${R[check_csv]}")" "$(ms "${R[tool_csv]}")" "$(ratio "${R[check_csv]}" "${R[tool_csv]}")"
row "check $ITEMS (JSON Lines) vs jq" "$(ms "${R[check_jsonl]}")" "$(ms "${R[tool_jsonl]}")" "$(ratio "${R[check_jsonl]}" "${R[tool_jsonl]}")"
for ext in xml csv jsonl; do
  [ -n "${R[check_${ext}_why]:-}" ] && echo "  (check over $ext not measured: ${R[check_${ext}_why]})"
done
for ext in xml csv jsonl; do
  row "peak RSS check $ext: $SMALL -> $ITEMS items" "${R[rss_${ext}_$SMALL]} MiB" "${R[rss_${ext}_$ITEMS]} MiB" "$(ratio "${R[rss_${ext}_$ITEMS]}" "${R[rss_${ext}_$SMALL]}")"
done
for ext in xml csv jsonl; do
  row "parse+evaluate (as check) vs parse-only, $ext, $SMALL items" "$(ms "${R[eval_$ext]}")" "$(ms "${R[parse_$ext]}")" "$(ratio "${R[eval_$ext]}" "${R[parse_$ext]}")"
  row "  the same on one thread (CPU cost)" "$(ms "${R[eval1_$ext]}")" "$(ms "${R[parse_$ext]}")" "$(ratio "${R[eval1_$ext]}" "${R[parse_$ext]}")"
done
row "fetch $FEEDS feeds vs 1 feed (${LATENCY_MS} ms server)" "$(ms "${R[fetch20]}")" "$(ms "${R[fetch1]}")" "$(ratio "${R[fetch20]}" "${R[fetch1]}")"
row "fetch $FEEDS feeds, all 304 (cached)" "$(ms "${R[cached20]}")" "" ""
row "basket --version" "$(ms "${R[version]}")" "" ""
row "basket list (${R[list_items]} items)" "$(ms "${R[list]}")" "" ""

# --- verdicts ---------------------------------------------------------------------
echo
verdict() { # name, python condition over the results
  if python3 -c "import sys; nan=float('nan'); sys.exit(0 if ($2) else 1)" 2>/dev/null; then
    echo "PASS  $1"
  else
    echo "FAIL  $1"
  fi
}
f() { echo "${R[$1]:-nan}"; }
nanf() { python3 -c 'import sys; print(sys.argv[1] if sys.argv[1] not in ("", "nan") else "float(\"nan\")")' "$1"; }
v() { nanf "$(f "$1")"; }
verdict "1. bounded memory: check over $ITEMS items peaks below 64 MiB (xml, csv, jsonl)" \
  "$(v rss_xml_$ITEMS) < 64 and $(v rss_csv_$ITEMS) < 64 and $(v rss_jsonl_$ITEMS) < 64"
verdict "1. bounded memory: no growth from $SMALL to $ITEMS items (within 10%)" \
  "all(b <= a * 1.1 for a, b in [($(v rss_xml_$SMALL), $(v rss_xml_$ITEMS)), ($(v rss_csv_$SMALL), $(v rss_csv_$ITEMS)), ($(v rss_jsonl_$SMALL), $(v rss_jsonl_$ITEMS))])"
verdict "2. $RULES rules add at most 30% to parsing (xml, csv, jsonl)" \
  "all(e <= p * 1.3 for p, e in [($(v parse_xml), $(v eval_xml)), ($(v parse_csv), $(v eval_csv)), ($(v parse_jsonl), $(v eval_jsonl))])"
verdict "3. check is faster than xmlstarlet sel over the XML" "$(v check_xml) < $(v tool_xml)"
verdict "3. check is faster than jq over the JSON Lines" "$(v check_jsonl) < $(v tool_jsonl)"
verdict "3. check is faster than python3 csv over the CSV" "$(v check_csv) < $(v tool_csv)"
verdict "4. $FEEDS feeds take under 2x one feed" "$(v fetch20) < 2 * $(v fetch1)"
verdict "4. $FEEDS cached feeds (304) take under ${LATENCY_MS} ms + 100 ms" "$(v cached20) < ($LATENCY_MS + 100) / 1000"
verdict "5. basket --version under 20 ms median" "$(v version) < 0.020"
verdict "5. basket list with ${R[list_items]} items under 20 ms median" "$(v list) < 0.020"
