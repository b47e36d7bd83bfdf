# bench/tools/sysbench-rounds.sh — sourced (not run) by bench/sysbench.sh and
# bench/tools/glommio-ab.sh: their one measurement loop and table. `sb_rounds` runs interleaved
# rounds of a sysbench workload against every target (per thread count, per round, every target
# in turn) and takes each target process's CPU from /proc/PID/stat; `sb_table` prints the
# markdown table of the medians of rounds. It sets SB, the sysbench options both use (the
# sbtest schema of 4 tables of 10,000 rows, as user app). The caller sets:
#   targets=("NAME PORT PID|-" ...)   the first one named "direct" (the ratios are against it)
#   EXTRA=(more sysbench options; may be empty)

SB=(--mysql-host=127.0.0.1 --mysql-user=app --mysql-password=app --mysql-db=sbtest
    --tables=4 --table-size=10000 --report-interval=0 --histogram=off --percentile=50)

sb_ticks() { if [[ $1 == - ]]; then echo 0; else awk '{print $14 + $15}' "/proc/$1/stat"; fi; }
sb_median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# sb_rounds WORKLOAD "THREAD COUNTS" ROUNDS SECONDS RESULTS: one line per run in RESULTS
# (threads round target qps p50_us cpu_us_per_query errors), progress on stderr.
sb_rounds() {
    local workload=$1 thread_counts=$2 rounds=$3 time_s=$4 results=$5 hz threads round t
    local name tport tpid t0 t1 line qps p50 queries errors cpu
    hz=$(getconf CLK_TCK)
    : >"$results"
    for threads in $thread_counts; do
        for round in $(seq "$rounds"); do
            for t in "${targets[@]}"; do
                read -r name tport tpid <<<"$t"
                t0=$(sb_ticks "$tpid")
                line=$(sysbench "$workload" "${SB[@]}" "${EXTRA[@]}" --mysql-port="$tport" --threads="$threads" --time="$time_s" run |
                    awk '/queries:/ {q=$2; gsub(/[(]/,"",$3); qps=$3} /50th percentile/ {p=$3} /ignored errors:/ {e=$3} END {print qps, p * 1000, q, e + 0}')
                t1=$(sb_ticks "$tpid")
                read -r qps p50 queries errors <<<"$line"
                cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v q="$queries" 'BEGIN {printf "%.1f", (q > 0 ? d / hz * 1e6 / q : 0)}')
                echo "$threads $round $name $qps $p50 $cpu $errors" >>"$results"
                echo "threads=$threads round=$round $name: $qps qps, p50 ${p50} µs, cpu ${cpu} µs/query, $errors ignored errors" >&2
            done
        done
    done
}

# sb_table "THREAD COUNTS" RESULTS: the markdown table (header included) of medians of rounds.
sb_table() {
    local thread_counts=$1 results=$2 threads t name tpid dq dp q p c
    echo "| threads | target | qps | vs direct | p50 µs | added p50 µs | CPU µs/query | CPU s/100k queries |"
    echo "|---|---|---|---|---|---|---|---|"
    for threads in $thread_counts; do
        dq=$(awk -v t="$threads" '$1 == t && $3 == "direct" {print $4}' "$results" | sb_median)
        dp=$(awk -v t="$threads" '$1 == t && $3 == "direct" {print $5}' "$results" | sb_median)
        for t in "${targets[@]}"; do
            read -r name _ tpid <<<"$t"
            q=$(awk -v t="$threads" -v n="$name" '$1 == t && $3 == n {print $4}' "$results" | sb_median)
            p=$(awk -v t="$threads" -v n="$name" '$1 == t && $3 == n {print $5}' "$results" | sb_median)
            c=$(awk -v t="$threads" -v n="$name" '$1 == t && $3 == n {print $6}' "$results" | sb_median)
            awk -v t="$threads" -v n="$name" -v q="$q" -v dq="$dq" -v p="$p" -v dp="$dp" -v c="$c" -v pid="$tpid" 'BEGIN {
                cpu = (pid == "-") ? "-" : sprintf("%.1f", c); cpu100 = (pid == "-") ? "-" : sprintf("%.2f", c / 10)
                printf "| %d | %s | %.0f | %.2f | %.0f | %+.0f | %s | %s |\n", t, n, q, q / dq, p, p - dp, cpu, cpu100
            }'
        done
    done
}
