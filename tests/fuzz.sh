# -*- sh -*-
# tests/fuzz.sh: the fuzzers' findings kept as regression tests.  Every
# committed corpus file and crash reproducer (fuzz/corpus/TARGET/) is run
# through its target's entry point by the gcc-built replay driver, and the
# non-canonical CIDRs the address fuzzer found are refused by the
# controller as by havip-nbctl.

. "$HAVIP_SRCDIR/tests/lib-dataplane.sh"

test_fuzz_corpus_replay() {
    for t in addr rules packet-in; do
        corpus=$HAVIP_SRCDIR/fuzz/corpus/$t
        n=$(ls "$corpus" | wc -l)
        [ "$n" -gt 0 ] || fail "empty corpus $corpus"
        ls "$corpus" | grep -q '^crash-' || [ "$t" = rules ] ||
            fail "no crash reproducer in $corpus"
        check_output "$n inputs" "$HAVIP_SRCDIR/fuzz/replay-$t" "$corpus"
    done
}

# subnet_gw_arp: the datapath actions for vm3's ARP request for its
# gateway, 10.0.2.1.
subnet_gw_arp() {
    trace "in_port=vm3,dl_src=0a:00:00:00:02:0d,dl_dst=ff:ff:ff:ff:ff:ff,arp,arp_op=1,arp_spa=10.0.2.13,arp_tpa=10.0.2.1,arp_sha=0a:00:00:00:02:0d"
}

# set_cidr SUBNET CIDR: a raw write, bypassing havip-nbctl's checks.
set_cidr() {
    check ovsdb-client transact "$HAVIP_NB_DB" \
        "[\"HAVIP_Northbound\",{\"op\":\"update\",\"table\":\"Subnet\",\"where\":[[\"name\",\"==\",\"$1\"]],\"row\":{\"cidr\":\"$2\"}}]"
}

test_fuzz_controller_refuses_non_canonical_cidr() {
    dp_setup
    ctl="ovs-appctl -t $HAVIP_RUNDIR/havip-controller.ctl"
    case $(subnet_gw_arp) in
        *"set(arp(sip=10.0.2.1,tip=10.0.2.13,op=2"*) ;;
        *) fail "gateway ARP not answered: $(subnet_gw_arp)" ;;
    esac
    for cidr in 10.0.2.5/24 10.0.2.256/24 10.0.2.0/255.255.255.0; do
        set_cidr s2 "$cidr"
        check havip-nbctl $WAIT sync
        expect_eq "$(subnet_gw_arp)" drop "gateway ARP with CIDR $cidr"
        $ctl havip/show > show.out
        case $cidr in
            10.0.2.5/24) want="10.0.2.5/24: host bits set in CIDR (the network is 10.0.2.0/24)" ;;
            *) want="$cidr: invalid CIDR (expected A.B.C.D/LEN)" ;;
        esac
        grep -qF "rule 5 (addresses): subnet s2: $want" show.out ||
            fail "havip/show does not refuse s2 with $cidr: $(cat show.out)"
        check_refused_by_nbctl "$cidr"
    done
    set_cidr s2 10.0.2.0/24
    check havip-nbctl $WAIT sync
    case $(subnet_gw_arp) in
        *"set(arp(sip=10.0.2.1,tip=10.0.2.13,op=2"*) ;;
        *) fail "gateway ARP not answered again: $(subnet_gw_arp)" ;;
    esac
}

# check_refused_by_nbctl CIDR: havip-nbctl names the stored bad CIDR in
# "show" and refuses to add a subnet with it.
check_refused_by_nbctl() {
    havip-nbctl show > nbshow.out
    grep -qF "subnet s2: $1" nbshow.out ||
        fail "havip-nbctl show does not mark s2's CIDR $1: $(cat nbshow.out)"
    rc=0
    havip-nbctl subnet-add vpc2 s9 "$1" 2> nbctl.err || rc=$?
    expect_eq "$rc" 1 "exit status of subnet-add with $1"
    expect_eq "$(wc -l < nbctl.err)" 1 "lines on stderr"
}
