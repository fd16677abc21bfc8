# -*- sh -*-
# tests/metrics.sh: the controller's /metrics and /healthz (issue 9):
# off by default; the Prometheus text; values that move with bindings,
# holder changes, GARPs, rule-breaking rows and pushes; health following
# the databases and the switch; bad requests answered with 4xx and never a
# crash; the address changed, broken and removed at run time.  Dummy
# datapath, loopback only, on a port the test picks free.

. "$HAVIP_SRCDIR/tests/lib-dataplane.sh"

ctl() {
    ovs-appctl -t "$HAVIP_RUNDIR/havip-controller.ctl" "$@"
}

controller_alive() {
    havip_alive "$(cat "$HAVIP_RUNDIR/havip-controller.pid")"
}

# free_port: a TCP port of 127.0.0.1 that nothing listens on now.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# listening PID: the TCP ports process PID listens on, one a line.
listening() {
    ss -Htlnp 2>/dev/null | grep "pid=$1," |
        awk '{ n = split($4, a, ":"); print a[n] }' | sort -u
}

# metrics_on [PORT]: serves the metrics on 127.0.0.1:PORT (default: a free
# port), sets URL and waits until /metrics answers.
metrics_on() {
    PORT=${1:-$(free_port)}
    URL=http://127.0.0.1:$PORT
    check ovs-vsctl set Open_vSwitch . \
        external_ids:havip-metrics-address=127.0.0.1:$PORT
    wait_until 'curl -sf --max-time 5 -o /dev/null "$URL/metrics"' 20
}

# scrape [PATH]: the body of PATH (default /metrics); fails unless 200.
scrape() {
    curl -sf --max-time 5 "$URL${1:-/metrics}"
}

# metric SERIES: the value of SERIES (name and labels, exactly as served).
metric() {
    scrape | awk -v n="$1" '$1 == n { print $2; f = 1 } END { exit !f }'
}

# wait_metric SERIES VALUE: waits until SERIES has VALUE.
wait_metric() {
    wait_until "[ \"\$(metric '$1')\" = '$2' ]" 20
}

# wait_metric_ge SERIES MIN: waits until SERIES is MIN or more.  (Counters
# that are coverage counters catch up within about a second.)
wait_metric_ge() {
    wait_until "[ \"\$(metric '$1')\" -ge '$2' ]" 20
}

# status [CURL-ARGS...]: the HTTP status curl gets ("000": no answer).
status() {
    curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@"
}

# garp PORT MAC: a gratuitous ARP for hv1's IP from PORT.
garp() {
    check ovs-appctl netdev-dummy/receive "$1" "eth(src=$2,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.1.100,tip=10.0.1.100,op=1,sha=$2,tha=00:00:00:00:00:00)"
}

test_metrics_off_by_default() {
    dp_setup
    pid=$(cat "$HAVIP_RUNDIR/havip-controller.pid")
    expect_eq "$(listening $pid)" "" "ports the controller listens on"
    # Off, metrics/show works all the same.
    ctl metrics/show > show.txt
    check grep -qx 'havip_bindings{state="active"} 1' show.txt

    metrics_on
    expect_eq "$(listening $pid)" "$PORT" "ports the controller listens on"
    check grep -q "metrics: serving http://127.0.0.1:$PORT/metrics" \
        "$HAVIP_RUNDIR/havip-controller.log"
    curl -sf -D headers.txt -o body.txt "$URL/metrics" ||
        fail "GET /metrics"
    tr -d '\r' < headers.txt > headers2.txt
    check grep -qx 'HTTP/1.1 200 OK' headers2.txt
    check grep -qix 'content-type: text/plain; version=0.0.4' headers2.txt
    for line in \
        '# TYPE havip_bindings gauge' \
        'havip_bindings{state="active"} 1' \
        'havip_bindings{state="no_holder"} 0' \
        'havip_bindings{state="refused"} 0' \
        '# TYPE havip_holder_changes_total counter' \
        'havip_garps_total{result="learned"} 0' \
        'havip_refused_bindings{rule="6"} 0' \
        'havip_db_connected{db="nb"} 1' \
        'havip_db_connected{db="ovs"} 1' \
        'havip_switch_connected 1' \
        'havip_flows_in_sync 1' \
        '# TYPE havip_change_to_installed_seconds histogram'; do
        grep -qxF "$line" body.txt || fail "no line '$line' in /metrics"
    done
    # Every family has its HELP and TYPE, every counter ends in _total,
    # every sample belongs to a declared family.
    n_help=$(grep -c '^# HELP havip_' body.txt)
    n_type=$(grep -c '^# TYPE havip_' body.txt)
    expect_eq "$n_help" "$n_type" "HELP and TYPE lines"
    [ "$n_type" -ge 15 ] || fail "only $n_type metric families"
    expect_eq "$(awk '$1 == "#" && $2 == "TYPE" && $4 == "counter" &&
                     $3 !~ /_total$/' body.txt)" "" "counters not *_total"
    awk '$1 == "#" && $2 == "TYPE" { t[$3] = $4; next }
         /^#/ { next }
         { n = $1; sub(/\{.*/, "", n); b = n;
           sub(/_(bucket|sum|count)$/, "", b);
           if (!(n in t) && t[b] != "histogram") { print "undeclared: " $0;
                                                   bad = 1 }
           if ($2 !~ /^[0-9.]+$/) { print "bad value: " $0; bad = 1 } }
         END { exit bad }' body.txt || fail "malformed /metrics"
    # The histogram's buckets, +Inf equal to _count.
    h=havip_change_to_installed_seconds
    expect_eq "$(sed -n "s/^${h}_bucket{le=\"\([^\"]*\)\"}.*/\1/p" body.txt |
                 tr '\n' ' ')" \
        "0.0005 0.001 0.002 0.005 0.01 0.02 0.05 0.1 0.25 0.5 1 2.5 5 +Inf " \
        "histogram buckets"
    inf=$(awk -v n="${h}_bucket{le=\"+Inf\"}" '$1 == n { print $2 }' body.txt)
    count=$(awk -v n="${h}_count" '$1 == n { print $2 }' body.txt)
    expect_eq "$inf" "$count" "+Inf bucket and _count"
    # metrics/show prints the same families.
    ctl metrics/show > show.txt
    expect_eq "$(grep '^#' show.txt)" "$(grep '^#' body.txt)" \
        "metrics/show and /metrics"
    # HEAD: the headers, no body.
    expect_eq "$(curl -sf -I "$URL/metrics" | head -1 | tr -d '\r')" \
        "HTTP/1.1 200 OK" "HEAD /metrics"
    expect_eq "$(curl -sf --head -o /dev/null -w '%{size_download}' \
                 "$URL/healthz")" 0 "HEAD body size"
}

test_metrics_values_move() {
    dp_setup
    metrics_on
    full=$(metric 'havip_recomputes_total{kind="full"}')
    incr=$(metric 'havip_recomputes_total{kind="incremental"}')
    lat=$(metric havip_change_to_installed_seconds_count)
    flows=$(metric havip_flows_installed)
    [ "$flows" -gt 20 ] || fail "only $flows flows installed"

    # A HAVIP with no holder.
    check havip-nbctl $WAIT havip-add s1 hv2 10.0.1.101 \
        -- havip-associate hv2 vm1 -- havip-associate hv2 vm2
    wait_metric 'havip_bindings{state="no_holder"}' 1
    wait_metric 'havip_bindings{state="active"}' 1
    wait_metric_ge havip_flows_installed $((flows + 1))
    wait_metric_ge 'havip_recomputes_total{kind="full"}' $((full + 1))
    wait_metric_ge havip_change_to_installed_seconds_count $((lat + 1))
    # Flow mods and bundles are counted.
    wait_metric_ge havip_bundles_total 2
    wait_metric_ge 'havip_flow_mods_total{op="add"}' "$flows"

    # The operator sets the holder: a holder change from the database,
    # an incremental recompute.
    wait_metric 'havip_holder_changes_total{source="db"}' 0
    check havip-nbctl $WAIT havip-set-holder hv2 vm2
    wait_metric 'havip_holder_changes_total{source="db"}' 1
    wait_metric 'havip_bindings{state="active"}' 2
    wait_metric 'havip_bindings{state="no_holder"}' 0
    wait_metric_ge 'havip_recomputes_total{kind="incremental"}' $((incr + 1))

    # vm2 claims hv1 with a GARP: learned here, one holder change from a
    # GARP, and the write that follows is not counted again as "db".
    wait_metric 'havip_garps_total{result="learned"}' 0
    pi=$(metric havip_packet_ins_total)
    garp vm2 0a:00:00:00:01:0c
    wait_until '[ "$(havip-nbctl havip-get-holder hv1)" = vm2 ]'
    check havip-nbctl $WAIT sync
    wait_metric 'havip_garps_total{result="learned"}' 1
    wait_metric 'havip_holder_changes_total{source="garp"}' 1
    wait_metric havip_packet_ins_total $((pi + 1))

    # A GARP from a port not associated with hv1 is dropped by port
    # security before the controller sees it; past port security (a flow
    # added by hand sends vm3's ARPs to the claim table) the controller
    # refuses it.
    check ovs-ofctl -O OpenFlow15 add-flow br-int \
        "table=0,priority=200,in_port=vm3,arp,actions=goto_table:13"
    garp vm3 0a:00:00:00:02:0d
    wait_metric 'havip_garps_total{result="refused"}' 1
    check ovs-ofctl -O OpenFlow15 del-flows br-int "cookie=0/-1"
    check_output vm2 havip-nbctl havip-get-holder hv1
    # The coverage totals that show this refusal include everything the
    # controller counted before it: the database's echo of the holder it
    # learned was not a holder change "from the database".
    expect_eq "$(metric 'havip_holder_changes_total{source="db"}')" 1 \
        "holder changes from the database"
    expect_eq "$(metric 'havip_holder_changes_total{source="garp"}')" 1 \
        "holder changes from GARPs"
    expect_eq "$(metric 'havip_garps_total{result="repeat"}')" 0 \
        "repeated GARPs"

    # A row written past havip-nbctl that breaks rule 6 (the holder is
    # not associated): refused, counted by rule.
    vm3=$(havip-nbctl get Port vm3 _uuid)
    hv2=$(havip-nbctl get HAVIP hv2 _uuid)
    check ovsdb-client transact "$HAVIP_NB_DB" "[\"HAVIP_Northbound\",
        {\"op\": \"update\", \"table\": \"HAVIP\",
         \"where\": [[\"_uuid\", \"==\", [\"uuid\", \"$hv2\"]]],
         \"row\": {\"holder\": [\"uuid\", \"$vm3\"]}}]"
    wait_metric 'havip_refused_bindings{rule="6"}' 1
    wait_metric 'havip_bindings{state="refused"}' 1
    wait_metric 'havip_bindings{state="active"}' 1
    check havip-nbctl $WAIT havip-set-holder hv2 vm1
    wait_metric 'havip_refused_bindings{rule="6"}' 0
    wait_metric 'havip_bindings{state="active"}' 2
    wait_metric havip_flows_in_sync 1
    # The installed count is the switch's.
    n=$(ovs-ofctl -O OpenFlow15 dump-flows br-int \
            cookie=0x4856000000000000/0xffff000000000000 | grep -c 'table=')
    wait_metric havip_flows_installed "$n"
}

test_metrics_healthz() {
    dp_setup
    metrics_on
    check_output ok scrape /healthz
    # The NB database goes: 503 naming it; back: 200.
    check havip_kill "$HAVIP_RUNDIR/havip_nb.pid"
    wait_until '[ "$(status "$URL/healthz")" = 503 ]' 20
    curl -s --max-time 5 "$URL/healthz" > health.txt
    check grep -qx 'nb: not connected to the HAVIP_Northbound database' \
        health.txt
    wait_metric 'havip_db_connected{db="nb"}' 0
    check havip_run_nb_server
    wait_until '[ "$(status "$URL/healthz")" = 200 ]' 30
    check_output ok scrape /healthz

    # The switch goes: not connected, not in sync; back: 200.
    check havip_kill "$HAVIP_RUNDIR/ovs-vswitchd.pid"
    wait_until '[ "$(status "$URL/healthz")" = 503 ]' 20
    curl -s --max-time 5 "$URL/healthz" > health.txt
    expect_eq "$(cat health.txt)" "switch: not connected to the bridge
flows: not in sync with the switch" "/healthz without the switch"
    wait_metric havip_switch_connected 0
    wait_metric havip_flows_in_sync 0
    check ovs-vswitchd --detach --no-chdir --pidfile --log-file \
        --enable-dummy --disable-system -vconsole:off
    wait_until '[ "$(status "$URL/healthz")" = 200 ]' 30
    wait_metric havip_switch_connected 1
    wait_metric havip_flows_in_sync 1
    check havip-nbctl $WAIT sync
    # The reconnection was counted.
    wait_metric_ge 'havip_connects_total{peer="switch"}' 2

    # Another OpenFlow client deletes havip's flows: the flow monitor
    # tells the controller, which puts them back; counted, healthy again.
    expect_eq "$(metric havip_foreign_flow_changes_total)" 0 \
        "foreign changes before"
    ovs-ofctl dump-flows br-int --no-stats | grep cookie=0x4856 |
        sort > flows-before.txt
    n_flows=$(wc -l < flows-before.txt)
    [ "$n_flows" -gt 10 ] || fail "only $n_flows havip flows on the switch"
    check ovs-ofctl del-flows br-int "cookie=0x4856000000000000/0xffff000000000000"
    wait_metric_ge havip_foreign_flow_changes_total 1
    wait_until '[ "$(ovs-ofctl dump-flows br-int --no-stats |
                     grep -c cookie=0x4856)" = "$n_flows" ]' 20
    ovs-ofctl dump-flows br-int --no-stats | grep cookie=0x4856 |
        sort > flows-after.txt
    check diff flows-before.txt flows-after.txt
    wait_metric havip_flows_in_sync 1
    wait_until '[ "$(status "$URL/healthz")" = 200 ]' 20
    check controller_alive
}

test_metrics_bad_requests() {
    dp_setup
    metrics_on
    expect_eq "$(status "$URL/")" 404 "GET /"
    expect_eq "$(status "$URL/metricsx")" 404 "GET /metricsx"
    expect_eq "$(status "$URL/../metrics")" 200 "GET /../metrics (curl squashes it)"
    expect_eq "$(status -X POST -d x=1 "$URL/metrics")" 405 "POST /metrics"
    expect_eq "$(status -X PUT "$URL/healthz")" 405 "PUT /healthz"
    expect_eq "$(status -X DELETE "$URL/metrics")" 405 "DELETE /metrics"
    expect_eq "$(curl -s -X POST -D - -o /dev/null "$URL/metrics" |
                 tr -d '\r' | grep -i '^allow:')" "Allow: GET, HEAD" \
        "Allow header"
    # A method evhttp does not know: 501 (Not Implemented) from evhttp.
    expect_eq "$(status -X BREW "$URL/metrics")" 501 "BREW /metrics"

    # Garbage, a 100 KB header, a 100 KB body: 4xx or closed.
    rc=$(head -c 2000 /dev/urandom | timeout 10 socat -t 5 - \
             TCP:127.0.0.1:$PORT 2>/dev/null | head -1 | tr -d '\r')
    echo "random bytes: '$rc'" >&2
    case $rc in "" | "HTTP/1.1 4"*) ;; *) fail "garbage got: $rc" ;; esac
    rc=$(printf 'GARBAGE\r\n\r\n' | timeout 10 socat -t 5 - \
             TCP:127.0.0.1:$PORT 2>/dev/null | head -1 | tr -d '\r')
    echo "GARBAGE: '$rc'" >&2
    case $rc in "" | "HTTP/1.1 4"*) ;; *) fail "GARBAGE got: $rc" ;; esac
    big=$(head -c 100000 /dev/zero | tr '\0' a)
    rc=$(status -H "X-Big: $big" "$URL/metrics")
    echo "100 KB header: $rc" >&2
    case $rc in 000 | 4??) ;; *) fail "100 KB header got $rc" ;; esac
    head -c 100000 /dev/zero | tr '\0' a > body.bin
    rc=$(status -X POST --data-binary @body.bin "$URL/metrics")
    echo "100 KB body: $rc" >&2
    case $rc in 000 | 4??) ;; *) fail "100 KB body got $rc" ;; esac
    # A client that connects and says nothing holds up no one else.
    timeout 30 socat -u OPEN:/dev/null,ignoreeof TCP:127.0.0.1:$PORT &
    idle=$!
    on_exit "kill $idle 2>/dev/null"
    for i in 1 2 3 4 5 6 7 8 9 10; do
        expect_eq "$(status "$URL/metrics")" 200 "GET /metrics, $i"
    done
    # Still alive and serving.
    check controller_alive
    check_output ok scrape /healthz
    wait_metric 'havip_bindings{state="active"}' 1
}

test_metrics_address_change() {
    dp_setup
    pid=$(cat "$HAVIP_RUNDIR/havip-controller.pid")
    metrics_on
    old=$PORT
    # Another port: the old one closes.
    metrics_on
    wait_until '[ "$(listening $pid)" = "$PORT" ]' 20
    expect_eq "$(status http://127.0.0.1:$old/metrics)" 000 "old port"

    # Unparsable: logged, counted, nothing listens, the controller runs.
    check ovs-vsctl set Open_vSwitch . \
        external_ids:havip-metrics-address=not-an-address
    wait_until '[ -z "$(listening $pid)" ]' 20
    log=$HAVIP_RUNDIR/havip-controller.log
    wait_until "grep -q 'havip-metrics-address=\"not-an-address\" is not' \
                \"$log\"" 20
    check controller_alive
    check havip-nbctl $WAIT sync

    # A port in use: logged and retried until it is free.
    busy=$(free_port)
    socat TCP-LISTEN:$busy,bind=127.0.0.1,reuseaddr,fork /dev/null &
    socat_pid=$!
    on_exit "kill $socat_pid 2>/dev/null"
    wait_until "ss -Htln | grep -q '127.0.0.1:$busy '" 20
    check ovs-vsctl set Open_vSwitch . \
        external_ids:havip-metrics-address=127.0.0.1:$busy
    wait_until "grep -q 'cannot serve on 127.0.0.1:$busy (Address already' \
                \"$log\"" 20
    expect_eq "$(listening $pid)" "" "ports while the port is taken"
    check controller_alive
    kill $socat_pid
    PORT=$busy URL=http://127.0.0.1:$busy
    wait_until '[ "$(status "$URL/metrics")" = 200 ]' 30
    wait_metric_ge havip_metrics_bind_errors_total 2

    # Removed: the server stops.
    check ovs-vsctl remove Open_vSwitch . external_ids havip-metrics-address
    wait_until '[ -z "$(listening $pid)" ]' 20
    expect_eq "$(status "$URL/metrics")" 000 "after the key is removed"
    check grep -q "metrics: stopped serving on 127.0.0.1:$busy" \
        "$HAVIP_RUNDIR/havip-controller.log"
    # And comes back; a clean exit stops it with everything else.
    metrics_on
    check ctl exit
    wait_until '! havip_alive $pid' 20
}
