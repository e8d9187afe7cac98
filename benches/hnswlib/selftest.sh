#!/usr/bin/env bash
# Self-test of hnswlib_ref.py: random L2-normalised vectors written in Segue's vector file format,
# exact top-k computed with numpy (raw int32 and .npy), then the benchmark run on them and its JSON
# checked: every field present, recall at the largest ef at least MIN_RECALL, both ground-truth
# formats giving the same recall, and bad files refused with an error that names them.
#
#   benches/hnswlib/selftest.sh                          # 5000 x 64, 200 queries: seconds
#   ROWS=100000 DIM=384 QUERIES=1000 benches/hnswlib/selftest.sh
#
# Environment: ROWS, DIM, QUERIES, K (10), EFS (the script's default list), MIN_RECALL (0.99),
# LATENT (24), NOISE (0.1), SEED (7), KEEP_DIR (keep the generated files there instead of a deleted
# temp dir).
#
# The vectors are random but, like real embeddings, of low intrinsic dimension: a Gaussian in
# LATENT dimensions mapped into DIM by a random orthonormal map, plus isotropic noise whose norm is
# NOISE times the signal's. Uniform random vectors in 384 dimensions (LATENT=DIM) have no
# neighbourhood structure for a graph to follow: there hnswlib reaches only 0.26 recall@10 at
# ef=256 over 100k rows, a figure about the data, not about the index.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROWS=${ROWS:-5000}
DIM=${DIM:-64}
QUERIES=${QUERIES:-200}
K=${K:-10}
EFS=${EFS:-10,16,24,32,48,64,96,128,192,256}
MIN_RECALL=${MIN_RECALL:-0.99}
SEED=${SEED:-7}
LATENT=${LATENT:-24}
NOISE=${NOISE:-0.1}

scripts/bench-setup
PY=.bench-venv/bin/python
REF=benches/hnswlib/hnswlib_ref.py

if [ -n "${KEEP_DIR:-}" ]; then
  DIR=$KEEP_DIR
  mkdir -p "$DIR"
else
  DIR=$(mktemp -d)
  trap 'rm -rf "$DIR"' EXIT
fi

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "selftest: ok: $*" >&2; }
fail() { failed=$((failed + 1)); echo "selftest: FAILED: $*" >&2; }

echo "selftest: generating $ROWS x $DIM base vectors and $QUERIES queries (latent dim $LATENT," \
  "noise $NOISE, seed $SEED) in $DIR" >&2
started=$SECONDS
"$PY" - "$DIR" "$ROWS" "$DIM" "$QUERIES" "$K" "$SEED" "$LATENT" "$NOISE" <<'EOF'
import struct, sys, zlib
import numpy as np

out, rows, dim, nq, k, seed, latent = sys.argv[1], *map(int, sys.argv[2:8])
noise = float(sys.argv[8])
latent = min(latent, dim)
rng = np.random.default_rng(seed)
# Orthonormal rows: the latent Gaussian keeps its geometry in DIM dimensions.
basis = np.linalg.qr(rng.standard_normal((dim, latent)))[0].T.astype(np.float32)

def unit_rows(n):
    v = rng.standard_normal((n, latent), dtype=np.float32) @ basis
    v += rng.standard_normal((n, dim), dtype=np.float32) * np.float32(noise * np.sqrt(latent / dim))
    return v / np.linalg.norm(v, axis=1, keepdims=True)

def write_segue(path, data, flags=1):
    """Segue vector file: 64-byte little-endian header, then row-major f32 (index/src/vectors.rs)."""
    body = np.ascontiguousarray(data, dtype="<f4").tobytes()
    head = struct.pack("<8sIIQII32x", b"SEGUEVEC", 1, dim, len(data), zlib.crc32(body), flags)
    assert len(head) == 64
    with open(path, "wb") as f:
        f.write(head)
        f.write(body)

base, queries = unit_rows(rows), unit_rows(nq)
write_segue(f"{out}/base.f32", base)
write_segue(f"{out}/queries.f32", queries)

def exact_top_k(base):
    """Exact top-k rows by inner product, best first, in query chunks to bound the score matrix."""
    truth = np.empty((nq, k), dtype=np.int64)
    for lo in range(0, nq, 256):
        scores = queries[lo:lo + 256] @ base.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        truth[lo:lo + 256] = np.take_along_axis(top, order, axis=1)
    return truth

truth = exact_top_k(base)
truth.astype("<i4").tofile(f"{out}/truth.i32")

# A small base (the first rows) with its ground truth in both formats, to compare them cheaply.
small = base[:5000]
write_segue(f"{out}/small.f32", small)
small_truth = exact_top_k(small)
small_truth.astype("<i4").tofile(f"{out}/small-truth.i32")
np.save(f"{out}/small-truth.npy", small_truth)
# The same small base in format 2 with a norms section (what segue writes now).
body = np.ascontiguousarray(small, dtype="<f4").tobytes()
norms = np.ones(len(small), dtype="<f4").tobytes()
head = struct.pack("<8sIIQIII28x", b"SEGUEVEC", 2, dim, len(small), zlib.crc32(body), 3, zlib.crc32(norms))
assert len(head) == 64
with open(f"{out}/small-v2.f32", "wb") as f:
    f.write(head + body + norms)

# Bad inputs for the refusal checks.
raw = open(f"{out}/queries.f32", "rb").read()
open(f"{out}/badmagic.f32", "wb").write(b"NOTSEGUE" + raw[8:])
flipped = bytearray(raw)
flipped[100] ^= 0xFF
open(f"{out}/badcrc.f32", "wb").write(bytes(flipped))
open(f"{out}/truncated.f32", "wb").write(raw[:-4])
truth[: nq - 1].astype("<i4").tofile(f"{out}/shorttruth.i32")
EOF
echo "selftest: data and exact ground truth in $((SECONDS - started)) s" >&2

echo "selftest: running $REF (builds with 1 and 2 threads, efs $EFS)" >&2
started=$SECONDS
"$PY" "$REF" --base "$DIR/base.f32" --queries "$DIR/queries.f32" --truth "$DIR/truth.i32" \
  --k "$K" --efs "$EFS" --threads 1,2 >"$DIR/result.json"
echo "selftest: benchmark ran in $((SECONDS - started)) s" >&2
cat "$DIR/result.json"

# Checks the JSON; prints one "ok: ..." or "FAILED: ..." line per check.
check_json() {
  "$PY" - "$DIR/result.json" "$K" "$EFS" "$MIN_RECALL" "$ROWS" <<'EOF'
import json, sys
path, k, efs, min_recall, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
r = json.load(open(path))
key = f"recall_at_{k}"
efs = [int(e) for e in efs.split(",")]

def check(ok, what):
    print(("ok: " if ok else "FAILED: ") + what)

check(set(r["build_s"]) == {"1", "2"} and all(s > 0 for s in r["build_s"].values()),
      f"build_s has positive times for 1 and 2 threads: {r['build_s']}")
check(r["peak_rss_bytes"] > rows * 4, f"peak_rss_bytes is plausible: {r['peak_rss_bytes']}")
check([run["ef"] for run in r["runs"]] == efs, "one run per ef, in order")
check(all(0 <= run[key] <= 1 and run["qps"] > 0 and run["qps_batch"] > 0 for run in r["runs"]),
      "every run has a recall in [0, 1] and positive QPS (single and batch)")
best = r["runs"][-1][key]
check(best >= min_recall, f"{key} at ef={efs[-1]} is {best:.4f} (at least {min_recall})")
check(r["runs"][-1][key] >= r["runs"][0][key],
      f"recall grows with ef: {r['runs'][0][key]:.4f} at ef={efs[0]} -> {best:.4f} at ef={efs[-1]}")
check(all(abs(run[key] - run[f"{key}_batch"]) < 1e-9 for run in r["runs"]),
      "batch queries find the same neighbours as one-at-a-time queries (equal recall)")
good = [run["qps"] for run in r["runs"] if run[key] >= 0.95]
check(r["qps_at_095"] == (max(good) if good else None), f"qps_at_095 = {r['qps_at_095']}")
EOF
}
while IFS= read -r line; do
  case $line in
    ok:*) pass "${line#ok: }" ;;
    *) fail "${line#FAILED: }" ;;
  esac
done < <(check_json)

# The .npy ground truth must give the same recall as the raw int32 file. With one thread and a
# fixed seed both runs build the same graph, so the recall at ef=64 is identical, not just close.
npy_run() {
  "$PY" "$REF" --base "$DIR/${2:-small.f32}" --queries "$DIR/queries.f32" --truth "$1" \
    --k "$K" --efs 64 --threads 1 --no-verify |
    "$PY" -c "import json,sys; print(json.load(sys.stdin)['runs'][0]['recall_at_$K'])"
}
raw_recall=$(npy_run "$DIR/small-truth.i32")
npy_recall=$(npy_run "$DIR/small-truth.npy")
if [ "$raw_recall" = "$npy_recall" ]; then
  pass "raw int32 and .npy ground truth give the same recall at ef=64 ($raw_recall)"
else
  fail "raw int32 gives recall $raw_recall, .npy gives $npy_recall"
fi

v2_recall=$(npy_run "$DIR/small-truth.i32" small-v2.f32)
if [ "$raw_recall" = "$v2_recall" ]; then
  pass "a format-2 vector file with norms gives the same recall as format 1 ($v2_recall)"
else
  fail "format 2 gives recall $v2_recall, format 1 gives $raw_recall"
fi

# Bad files: exit status 2 and an error naming the file.
refuses() {
  local what=$1 needle=$2
  shift 2
  local err status=0
  err=$("$PY" "$REF" --k "$K" --efs 16 --threads 1 "$@" 2>&1 >/dev/null) || status=$?
  if [ "$status" = 2 ] && [[ $err == *"$needle"* ]]; then
    pass "refuses $what: ${err##*error: }"
  else
    fail "$what: exit $status, stderr: $err"
  fi
}
refuses "a file with a bad magic" "badmagic.f32: not a Segue vector file" \
  --base "$DIR/base.f32" --queries "$DIR/badmagic.f32" --truth "$DIR/truth.i32"
refuses "a file whose data does not match its CRC" "badcrc.f32: data checksum mismatch" \
  --base "$DIR/base.f32" --queries "$DIR/badcrc.f32" --truth "$DIR/truth.i32"
refuses "a truncated file" "truncated.f32: " \
  --base "$DIR/base.f32" --queries "$DIR/truncated.f32" --truth "$DIR/truth.i32"
refuses "ground truth with too few rows" "shorttruth.i32: " \
  --base "$DIR/base.f32" --queries "$DIR/queries.f32" --truth "$DIR/shorttruth.i32"

echo "hnswlib selftest: $passed passed, $failed failed"
[ "$failed" = 0 ]
