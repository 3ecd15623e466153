# Shared by the benchmark scripts: source it after setting RUNS.
#
#	ms CMD...            the wall time of one run, in milliseconds
#	stats NAME CMD...    RUNS runs (after one that must succeed); prints
#	                     "median min max" and keeps the median in $median

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
