# Shared by the benchmark scripts: source it after setting RUNS.
#
#	ms CMD...            the wall time of one run, in milliseconds
#	stats NAME CMD...    RUNS runs (after one that must succeed); prints
#	                     "median min max" and keeps the median in $median
#	paired A B -- CMD_A... -- CMD_B...   $runs alternating runs of each
#	report NAME OURS THEIRS GOAL         a ratio line; $status 1 when missed
#	vmtrust_bin          prints $VMTRUST_BIN, else builds build/tools/vmtrust

ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

stats() {
	local name=$1 times=() i
	shift
	"$@" >/dev/null 2>&1 || { echo "bench: '$name' fails: $*" >&2; "$@"; exit 1; }
	for ((i = 0; i < RUNS; i++)); do times+=("$(ms "$@")"); done
	mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
	median=${sorted[$((RUNS / 2))]}
	printf '  %-58s median %5d ms  (min %d, max %d, %d runs)\n' "$name" "$median" "${sorted[0]}" \
		"${sorted[$((RUNS - 1))]}" "$RUNS"
}

# paired NAME_A NAME_B -- CMD_A... -- CMD_B...: runs A and B alternately,
# $runs times each (so that both meet the same machine load), and sets
# the median wall times, in seconds, in the variables NAME_A and NAME_B.
paired() {
	local va=$1 vb=$2 a=() b=() ta=() tb=() t0 t1
	shift 3
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N); "${a[@]}" >/dev/null 2>&1 || { echo "failed: ${a[*]}" >&2; exit 1; }
		t1=$(date +%s%N); ta+=($((t1 - t0)))
		t0=$(date +%s%N); "${b[@]}" >/dev/null 2>&1 || { echo "failed: ${b[*]}" >&2; exit 1; }
		t1=$(date +%s%N); tb+=($((t1 - t0)))
	done
	printf -v "$va" '%s' "$(median "${ta[@]}")"
	printf -v "$vb" '%s' "$(median "${tb[@]}")"
}
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] / 1e9 }'; }

status=0
report() { # NAME OURS THEIRS GOAL
	local ratio verdict
	ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", a / b }')
	if awk -v r="$ratio" -v g="$4" 'BEGIN { exit !(r <= g) }'; then verdict=met; else verdict=MISSED; status=1; fi
	printf '%-34s %8ss %8ss %8sx   goal <= %sx: %s\n' "$1" "$2" "$3" "$ratio" "$4" "$verdict"
}

vmtrust_bin() {
	if [ -n "${VMTRUST_BIN:-}" ]; then
		echo "$VMTRUST_BIN"
		return
	fi
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j"$(nproc)" --target vmtrust >/dev/null
	echo build/tools/vmtrust
}
