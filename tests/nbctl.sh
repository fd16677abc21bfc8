# -*- sh -*-
# tests/nbctl.sh: havip-nbctl against a private HAVIP_Northbound
# ovsdb-server.  Every refused command must print exactly one line on
# stderr, exit 1 and leave the database unchanged (check_refused).

# check_refused 'ERROR' CMD...: CMD must exit 1 with exactly ERROR on
# stderr, and the database must be the same afterwards.
check_refused() {
    want=$1
    shift
    ovsdb-client dump "$HAVIP_NB_DB" >"$TESTDIR/before.dump"
    check_fails 1 "$want" "$@"
    ovsdb-client dump "$HAVIP_NB_DB" >"$TESTDIR/after.dump"
    diff -u "$TESTDIR/before.dump" "$TESTDIR/after.dump" >&2 \
        || fail "database changed by: $*"
}

# nbctl_topology: the topology most tests start from.
#   region r1 (EIPs e1 203.0.113.1, e2 203.0.113.2)
#     vpc1: s1 10.0.1.0/24 (ports p1, p2; HAVIPs hv1 [p1 p2], hv2)
#           s2 10.0.2.0/24 (port p3)
#   region r2 (EIP e9 198.51.100.9)
# One invocation, so it also tests chaining.
nbctl_topology() {
    check havip-nbctl region-add r1 00:00:5e:00:01:01 \
        -- vpc-add r1 vpc1 \
        -- subnet-add vpc1 s1 10.0.1.0/24 \
        -- subnet-add vpc1 s2 10.0.2.0/24 \
        -- port-add s1 p1 52:54:00:00:01:01 10.0.1.11 \
        -- port-add s1 p2 52:54:00:00:01:02 10.0.1.12 \
        -- port-add s2 p3 52:54:00:00:02:01 10.0.2.11 \
        -- havip-add s1 hv1 10.0.1.100 \
        -- havip-add s1 hv2 10.0.1.101 \
        -- havip-associate hv1 p1 -- havip-associate hv1 p2 \
        -- eip-add r1 e1 203.0.113.1 -- eip-add r1 e2 203.0.113.2 \
        -- region-add r2 -- eip-add r2 e9 198.51.100.9
}

# nbctl_show: "havip-nbctl show" with the random gateway MACs masked.
nbctl_show() {
    havip-nbctl show \
        | sed -E 's/\(([0-9a-f]{2}:){5}[0-9a-f]{2}\)$/(<mac>)/'
}

# uuid TABLE NAME: the UUID of a row.
uuid() {
    havip-nbctl get "$1" "$2" _uuid
}

# havip_ports HAVIP: the names of the ports associated with HAVIP.
havip_ports() {
    for u in $(havip-nbctl --bare --columns=ports list HAVIP "$1"); do
        havip-nbctl get Port "$u" name
    done | sort | tr '\n' ' ' | sed 's/ $//'
}

# General.

test_nbctl_init() {
    check havip_start_nb
    check havip-nbctl init
    check havip-nbctl --may-exist init
    check_output 1 sh -c 'havip-nbctl --bare --columns=_uuid list NB_Global | grep -c .'
    check_output '0 0' sh -c 'echo $(havip-nbctl get NB_Global . nb_cfg hv_cfg)'
}

test_nbctl_help_version() {
    havip-nbctl --help >help.out
    for cmd in init show sync region-add region-del vpc-add vpc-del \
               subnet-add subnet-del port-add port-del havip-add havip-del \
               havip-associate havip-disassociate havip-set-holder \
               havip-clear-holder havip-get-holder eip-add eip-del \
               eip-bind eip-bind-port eip-unbind chassis-list \
               list get set add remove clear find destroy \
               --db= --wait= --timeout= --may-exist --if-exists; do
        grep -q -e "$cmd" help.out || fail "--help does not mention $cmd"
    done
    HAVIP_NB_DB= havip-nbctl --help | grep -q unix:/var/run/havip/havip_nb.sock \
        || fail "--help does not give the default --db"
    havip-nbctl --version >version.out
    grep -q '^havip-nbctl (Open vSwitch) ' version.out || fail "bad --version"
    check_output "DB Schema $(ovsdb-tool schema-version \
        "$HAVIP_SRCDIR/ovsdb/havip-nb.ovsschema")" sed -n 2p version.out
}

test_nbctl_syntax() {
    check havip_start_nb
    nbctl_topology
    check_refused "havip-nbctl: 'region-add' command requires at least 1 arguments" \
        havip-nbctl region-add
    check_refused "havip-nbctl: 'region-add' command takes at most 2 arguments" \
        havip-nbctl region-add r3 00:00:5e:00:01:01 x
    check_refused "havip-nbctl: 'port-add' command requires at least 4 arguments" \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09
    check_refused "havip-nbctl: 'eip-bind' command takes at most 2 arguments" \
        havip-nbctl eip-bind e1 hv1 hv2
    check_refused "havip-nbctl: 'havip-get-holder' command requires at least 1 arguments" \
        havip-nbctl havip-get-holder
    check_refused "havip-nbctl: unknown command 'frob'; use --help for help" \
        havip-nbctl frob
    check_refused "havip-nbctl: unrecognized option '--frob'" \
        havip-nbctl --frob show
    check_refused "havip-nbctl: 'region-del' command has no '--may-exist' option" \
        havip-nbctl --may-exist region-del r1
    check_refused "havip-nbctl: 'eip-bind' command has no '--if-exists' option" \
        havip-nbctl --if-exists eip-bind e1 hv1
    check_refused 'havip-nbctl: argument to --wait must be "none" or "hv"' \
        havip-nbctl --wait=sb show
    check_refused 'havip-nbctl: value 0 on -t or --timeout is invalid' \
        havip-nbctl --timeout=0 show
    check_refused 'havip-nbctl: region name must not be empty' \
        havip-nbctl region-add ''
    check_refused 'havip-nbctl: 0c0e6b59-3bd3-4fe8-9cf4-1d6bbf9fbd6f: port name must not be a UUID' \
        havip-nbctl port-add s1 0c0e6b59-3bd3-4fe8-9cf4-1d6bbf9fbd6f \
        52:54:00:00:01:09 10.0.1.19
}

test_nbctl_unknown_names() {
    check havip_start_nb
    nbctl_topology
    check_refused 'havip-nbctl: r9: region not found' havip-nbctl vpc-add r9 v
    check_refused 'havip-nbctl: vpc9: VPC not found' \
        havip-nbctl subnet-add vpc9 s9 10.9.0.0/24
    check_refused 'havip-nbctl: s9: subnet not found' \
        havip-nbctl port-add s9 p9 52:54:00:00:01:09 10.0.1.19
    check_refused 'havip-nbctl: s9: subnet not found' havip-nbctl havip-add s9 hv9
    check_refused 'havip-nbctl: hv9: HAVIP not found' havip-nbctl havip-del hv9
    check_refused 'havip-nbctl: hv9: HAVIP not found' \
        havip-nbctl havip-associate hv9 p1
    check_refused 'havip-nbctl: p9: port not found' \
        havip-nbctl havip-associate hv1 p9
    check_refused 'havip-nbctl: hv9: HAVIP not found' havip-nbctl havip-get-holder hv9
    check_refused 'havip-nbctl: e8: EIP not found' havip-nbctl eip-bind e8 hv1
    check_refused 'havip-nbctl: hv9: HAVIP not found' havip-nbctl eip-bind e1 hv9
    check_refused 'havip-nbctl: p9: port not found' havip-nbctl eip-bind-port e1 p9
    check_refused 'havip-nbctl: e8: EIP not found' havip-nbctl eip-unbind e8
    check_refused 'havip-nbctl: e8: EIP not found' havip-nbctl eip-del e8
    # A name is looked up in its own table only.
    check_refused 'havip-nbctl: s1: HAVIP not found' havip-nbctl havip-del s1
    # UUIDs of no row, and UUIDs of a row in another table.
    check_refused 'havip-nbctl: 0c0e6b59-3bd3-4fe8-9cf4-1d6bbf9fbd6f: HAVIP not found' \
        havip-nbctl havip-del 0c0e6b59-3bd3-4fe8-9cf4-1d6bbf9fbd6f
    p1=$(uuid Port p1)
    check_refused "havip-nbctl: $p1: HAVIP not found" havip-nbctl havip-del "$p1"
}

test_nbctl_db_option() {
    check havip_start_nb
    db=$HAVIP_NB_DB
    check_fails 1 "havip-nbctl: unix:$TESTDIR/none.sock: database connection failed (No such file or directory)" \
        havip-nbctl --db=unix:$TESTDIR/none.sock show
    HAVIP_NB_DB=unix:$TESTDIR/none.sock
    check havip-nbctl --db="$db" region-add r1
    HAVIP_NB_DB=$db
    check_output r1 havip-nbctl --bare --columns=name list Region
}

# Regions, VPCs, subnets.

test_nbctl_region() {
    check havip_start_nb
    check havip-nbctl region-add r1 00:00:5E:00:01:01
    check havip-nbctl region-add r2
    check_output '"00:00:5e:00:01:01"' \
        havip-nbctl get Region r1 external_gateway_mac
    check_output '""' havip-nbctl get Region r2 external_gateway_mac
    check_refused 'havip-nbctl: r1: region already exists' \
        havip-nbctl region-add r1
    check havip-nbctl --may-exist region-add r1
    check havip-nbctl --may-exist region-add r1 00:00:5e:00:01:01
    check_refused 'havip-nbctl: r1: region exists with external gateway MAC "00:00:5e:00:01:01"' \
        havip-nbctl --may-exist region-add r1 00:00:5e:00:01:02
    check_refused 'havip-nbctl: 00:00:5e:00:01: invalid MAC address' \
        havip-nbctl region-add r3 00:00:5e:00:01
    check_refused 'havip-nbctl: 01:00:5e:00:01:01: not a unicast MAC address' \
        havip-nbctl region-add r3 01:00:5e:00:01:01
    check havip-nbctl region-del r2
    check_refused 'havip-nbctl: r2: region not found' havip-nbctl region-del r2
    check havip-nbctl --if-exists region-del r2
    check_output r1 havip-nbctl --bare --columns=name list Region
}

test_nbctl_region_del_nonempty() {
    check havip_start_nb
    nbctl_topology
    check_refused 'havip-nbctl: r1: region still has VPC vpc1; delete it first' \
        havip-nbctl region-del r1
    check_refused 'havip-nbctl: r2: region still has EIP e9; delete it first' \
        havip-nbctl region-del r2
    check havip-nbctl eip-del e9 -- region-del r2
    check_output '' havip-nbctl --bare --columns=name find Region name=r2
}

test_nbctl_vpc() {
    check havip_start_nb
    check havip-nbctl region-add r1 -- region-add r2 -- vpc-add r1 vpc1
    check_output r1 sh -c "havip-nbctl get Region \$(havip-nbctl get VPC vpc1 region) name"
    check_refused 'havip-nbctl: vpc1: VPC already exists' \
        havip-nbctl vpc-add r1 vpc1
    check havip-nbctl --may-exist vpc-add r1 vpc1
    check_refused 'havip-nbctl: vpc1: VPC exists in region r1' \
        havip-nbctl --may-exist vpc-add r2 vpc1
    check havip-nbctl subnet-add vpc1 s1 10.0.1.0/24
    check_refused 'havip-nbctl: vpc1: VPC still has subnet s1; delete it first' \
        havip-nbctl vpc-del vpc1
    check havip-nbctl subnet-del s1 -- vpc-del vpc1
    check_refused 'havip-nbctl: vpc1: VPC not found' havip-nbctl vpc-del vpc1
    check havip-nbctl --if-exists vpc-del vpc1
}

test_nbctl_subnet_add() {
    check havip_start_nb
    check havip-nbctl region-add r1 -- vpc-add r1 vpc1 -- vpc-add r1 vpc2
    check havip-nbctl subnet-add vpc1 s1 10.0.1.0/24
    check_output '"10.0.1.0/24" "10.0.1.1"' \
        sh -c 'echo $(havip-nbctl get Subnet s1 cidr gateway_ip)'
    # The gateway MAC is random, unicast and locally administered.
    mac=$(havip-nbctl get Subnet s1 gateway_mac | tr -d '"')
    case $mac in
        ?[26ae]:??:??:??:??:??) ;;
        *) fail "gateway MAC $mac is not locally administered unicast" ;;
    esac
    check havip-nbctl subnet-add vpc1 s2 10.0.2.0/24 10.0.2.254
    check_output '"10.0.2.254"' havip-nbctl get Subnet s2 gateway_ip
    # Another VPC may reuse the same range.
    check havip-nbctl subnet-add vpc2 s3 10.0.1.0/24
    check_refused 'havip-nbctl: s1: subnet already exists' \
        havip-nbctl subnet-add vpc1 s1 10.0.1.0/24
    check havip-nbctl --may-exist subnet-add vpc1 s1 10.0.1.0/24
    check havip-nbctl --may-exist subnet-add vpc1 s1 10.0.1.0/24 10.0.1.1
    check_refused 'havip-nbctl: s1: subnet exists with CIDR 10.0.1.0/24' \
        havip-nbctl --may-exist subnet-add vpc1 s1 10.0.1.0/25
    check_refused 'havip-nbctl: s1: subnet exists with gateway 10.0.1.1' \
        havip-nbctl --may-exist subnet-add vpc1 s1 10.0.1.0/24 10.0.1.2
    check_refused 'havip-nbctl: s1: subnet exists in VPC vpc1' \
        havip-nbctl --may-exist subnet-add vpc2 s1 10.0.1.0/24
}

test_nbctl_subnet_addresses() {
    check havip_start_nb
    check havip-nbctl region-add r1 -- vpc-add r1 vpc1 \
        -- subnet-add vpc1 s1 10.0.1.0/24
    check_refused 'havip-nbctl: 10.0.9.0: invalid CIDR (expected A.B.C.D/LEN)' \
        havip-nbctl subnet-add vpc1 s9 10.0.9.0
    check_refused 'havip-nbctl: 10.0.9.0/33: invalid CIDR (expected A.B.C.D/LEN)' \
        havip-nbctl subnet-add vpc1 s9 10.0.9.0/33
    check_refused 'havip-nbctl: 10.0.9.x/24: invalid CIDR (expected A.B.C.D/LEN)' \
        havip-nbctl subnet-add vpc1 s9 10.0.9.x/24
    check_refused 'havip-nbctl: 10.0.9.1/24: host bits set in CIDR (the network is 10.0.9.0/24)' \
        havip-nbctl subnet-add vpc1 s9 10.0.9.1/24
    # Only the canonical form (OVS's own parser reads 10.0.9.256/24 as
    # 10.0.9.0/24 and 10.0.9.261/24 as 10.0.9.5/24).
    for cidr in 10.0.9.256/24 10.0.9.261/24 010.0.9.0/24 10.0.9.0/024 \
                10.0.9.0/+24 10.0.9.0/255.255.255.0 ' 10.0.9.0/24'; do
        check_refused "havip-nbctl: $cidr: invalid CIDR (expected A.B.C.D/LEN)" \
            havip-nbctl subnet-add vpc1 s9 "$cidr"
    done
    check_refused 'havip-nbctl: 10.0.9.0/30: prefix too long for a subnet (at most /29)' \
        havip-nbctl subnet-add vpc1 s9 10.0.9.0/30
    check_refused 'havip-nbctl: 10.0.9.300: invalid IPv4 address' \
        havip-nbctl subnet-add vpc1 s9 10.0.9.0/24 10.0.9.300
    check_refused 'havip-nbctl: rule 5 (addresses): subnet s9 gateway: 10.0.8.1 is outside 10.0.9.0/24' \
        havip-nbctl subnet-add vpc1 s9 10.0.9.0/24 10.0.8.1
    check_refused 'havip-nbctl: rule 5 (addresses): subnet s9 gateway: 10.0.9.0 is the network address of 10.0.9.0/24' \
        havip-nbctl subnet-add vpc1 s9 10.0.9.0/24 10.0.9.0
    check_refused 'havip-nbctl: rule 5 (addresses): subnet s9 gateway: 10.0.9.255 is the broadcast address of 10.0.9.0/24' \
        havip-nbctl subnet-add vpc1 s9 10.0.9.0/24 10.0.9.255
    check_refused 'havip-nbctl: rule 5 (addresses): subnet s9 (10.0.1.128/25) overlaps subnet s1 (10.0.1.0/24) in VPC vpc1' \
        havip-nbctl subnet-add vpc1 s9 10.0.1.128/25
    check_refused 'havip-nbctl: rule 5 (addresses): subnet s9 (10.0.0.0/16) overlaps subnet s1 (10.0.1.0/24) in VPC vpc1' \
        havip-nbctl subnet-add vpc1 s9 10.0.0.0/16
}

test_nbctl_subnet_del_nonempty() {
    check havip_start_nb
    nbctl_topology
    check_refused 'havip-nbctl: s1: subnet still has port p1; delete it first' \
        havip-nbctl subnet-del s1
    check havip-nbctl port-del p1 -- port-del p2
    check_refused 'havip-nbctl: s1: subnet still has HAVIP hv1; delete it first' \
        havip-nbctl subnet-del s1
    check havip-nbctl havip-del hv1 -- havip-del hv2 -- subnet-del s1
    check_refused 'havip-nbctl: s1: subnet not found' havip-nbctl subnet-del s1
    check havip-nbctl --if-exists subnet-del s1
    check_output s2 havip-nbctl --bare --columns=name list Subnet
}

# Ports.

test_nbctl_port_add() {
    check havip_start_nb
    nbctl_topology
    check havip-nbctl port-add s1 p4 52:54:00:00:01:0A 10.0.1.14
    check_output '"52:54:00:00:01:0a" "10.0.1.14"' \
        sh -c 'echo $(havip-nbctl get Port p4 mac ip)'
    check_output s1 sh -c "havip-nbctl get Subnet \$(havip-nbctl get Port p4 subnet) name"
    check_refused 'havip-nbctl: p4: port already exists' \
        havip-nbctl port-add s1 p4 52:54:00:00:01:0a 10.0.1.14
    check havip-nbctl --may-exist port-add s1 p4 52:54:00:00:01:0a 10.0.1.14
    check_refused 'havip-nbctl: p4: port exists with MAC 52:54:00:00:01:0a and IP 10.0.1.14' \
        havip-nbctl --may-exist port-add s1 p4 52:54:00:00:01:0a 10.0.1.15
    check_refused 'havip-nbctl: p4: port exists in subnet s1' \
        havip-nbctl --may-exist port-add s2 p4 52:54:00:00:01:0a 10.0.2.14
    # The same addresses in another VPC are fine.
    check havip-nbctl vpc-add r1 vpc2 -- subnet-add vpc2 t1 10.0.1.0/24 \
        -- port-add t1 q1 52:54:00:00:01:01 10.0.1.11
    check havip-nbctl port-del p4
    check_refused 'havip-nbctl: p4: port not found' havip-nbctl port-del p4
    check havip-nbctl --if-exists port-del p4
}

test_nbctl_port_addresses() {
    check havip_start_nb
    nbctl_topology
    check_refused 'havip-nbctl: 52:54:00:00:01: invalid MAC address' \
        havip-nbctl port-add s1 p9 52:54:00:00:01 10.0.1.19
    check_refused 'havip-nbctl: 52:54:00:00:01:zz: invalid MAC address' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:zz 10.0.1.19
    check_refused 'havip-nbctl: 00:00:00:00:00:00: not a unicast MAC address' \
        havip-nbctl port-add s1 p9 00:00:00:00:00:00 10.0.1.19
    check_refused 'havip-nbctl: 10.0.1: invalid IPv4 address' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09 10.0.1
    check_refused 'havip-nbctl: 10.0.1.19/24: invalid IPv4 address' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09 10.0.1.19/24
    check_refused 'havip-nbctl: rule 5 (addresses): port p9: 10.0.2.19 is outside 10.0.1.0/24' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09 10.0.2.19
    check_refused 'havip-nbctl: rule 5 (addresses): port p9: 10.0.1.0 is the network address of 10.0.1.0/24' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09 10.0.1.0
    check_refused 'havip-nbctl: rule 5 (addresses): port p9: 10.0.1.255 is the broadcast address of 10.0.1.0/24' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09 10.0.1.255
    check_refused 'havip-nbctl: rule 5 (addresses): port p9: 10.0.1.1 is the gateway address of 10.0.1.0/24' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09 10.0.1.1
    check_refused 'havip-nbctl: rule 5 (addresses): port p9: 10.0.1.11 is also used by port p1 in VPC vpc1' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09 10.0.1.11
    check_refused 'havip-nbctl: rule 5 (addresses): port p9: 10.0.1.100 is also used by HAVIP hv1 in VPC vpc1' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09 10.0.1.100
    check_refused 'havip-nbctl: rule 5 (addresses): port p9: MAC 52:54:00:00:01:01 is also used by port p1 in subnet s1' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:01 10.0.1.19
    # Collisions with rows added earlier in the same transaction.
    check_refused 'havip-nbctl: rule 5 (addresses): port p10: 10.0.1.19 is also used by port p9 in VPC vpc1' \
        havip-nbctl port-add s1 p9 52:54:00:00:01:09 10.0.1.19 \
        -- port-add s1 p10 52:54:00:00:01:10 10.0.1.19
}

test_nbctl_port_del_cleans_havip() {
    check havip_start_nb
    nbctl_topology
    check havip-nbctl havip-set-holder hv1 p1 -- eip-bind-port e2 p1
    check havip-nbctl port-del p1
    check_output p2 havip_ports hv1
    check_output '[]' havip-nbctl get HAVIP hv1 holder
    # Its EIP is free again.
    check havip-nbctl eip-bind e2 hv1
}

# HAVIPs.

test_nbctl_havip_add() {
    check havip_start_nb
    check havip-nbctl region-add r1 -- vpc-add r1 vpc1 \
        -- subnet-add vpc1 s1 10.0.1.0/29 -- subnet-add vpc1 s2 10.0.2.0/24 \
        -- port-add s1 p1 52:54:00:00:01:01 10.0.1.2 \
        -- port-add s1 p2 52:54:00:00:01:02 10.0.1.4
    # The lowest free host: not .0 (network), .1 (gateway), .2 (p1).
    check havip-nbctl havip-add s1 hv1
    check_output '"10.0.1.3"' havip-nbctl get HAVIP hv1 ip
    check havip-nbctl havip-add s1 hv2 -- havip-add s1 hv3
    check_output '"10.0.1.5" "10.0.1.6"' \
        sh -c 'echo $(havip-nbctl get HAVIP hv2 ip) $(havip-nbctl get HAVIP hv3 ip)'
    check_refused 'havip-nbctl: s1: no free IP address in 10.0.1.0/29' \
        havip-nbctl havip-add s1 hv4
    check havip-nbctl havip-add s2 hv5 10.0.2.200
    check_output '"10.0.2.200"' havip-nbctl get HAVIP hv5 ip
    check_refused 'havip-nbctl: hv5: HAVIP already exists' \
        havip-nbctl havip-add s2 hv5
    check havip-nbctl --may-exist havip-add s2 hv5
    check havip-nbctl --may-exist havip-add s2 hv5 10.0.2.200
    check_refused 'havip-nbctl: hv5: HAVIP exists with IP 10.0.2.200' \
        havip-nbctl --may-exist havip-add s2 hv5 10.0.2.201
    check_refused 'havip-nbctl: hv5: HAVIP exists in subnet s2' \
        havip-nbctl --may-exist havip-add s1 hv5
    check havip-nbctl havip-del hv5
    check_refused 'havip-nbctl: hv5: HAVIP not found' havip-nbctl havip-del hv5
    check havip-nbctl --if-exists havip-del hv5
}

test_nbctl_havip_addresses() {
    check havip_start_nb
    nbctl_topology
    check_refused 'havip-nbctl: 10.0.1.x: invalid IPv4 address' \
        havip-nbctl havip-add s1 hv9 10.0.1.x
    check_refused 'havip-nbctl: rule 5 (addresses): HAVIP hv9: 10.0.2.9 is outside 10.0.1.0/24' \
        havip-nbctl havip-add s1 hv9 10.0.2.9
    check_refused 'havip-nbctl: rule 5 (addresses): HAVIP hv9: 10.0.1.0 is the network address of 10.0.1.0/24' \
        havip-nbctl havip-add s1 hv9 10.0.1.0
    check_refused 'havip-nbctl: rule 5 (addresses): HAVIP hv9: 10.0.1.255 is the broadcast address of 10.0.1.0/24' \
        havip-nbctl havip-add s1 hv9 10.0.1.255
    check_refused 'havip-nbctl: rule 5 (addresses): HAVIP hv9: 10.0.1.1 is the gateway address of 10.0.1.0/24' \
        havip-nbctl havip-add s1 hv9 10.0.1.1
    check_refused 'havip-nbctl: rule 5 (addresses): HAVIP hv9: 10.0.1.11 is also used by port p1 in VPC vpc1' \
        havip-nbctl havip-add s1 hv9 10.0.1.11
    check_refused 'havip-nbctl: rule 5 (addresses): HAVIP hv9: 10.0.1.100 is also used by HAVIP hv1 in VPC vpc1' \
        havip-nbctl havip-add s1 hv9 10.0.1.100
}

test_nbctl_havip_associate() {
    check havip_start_nb
    nbctl_topology
    check havip-nbctl havip-associate hv2 p1
    # Already associated: nothing to do.
    check havip-nbctl havip-associate hv2 p1
    check_output p1 havip_ports hv2
    # Rule 7: an associated port is in the HAVIP's subnet.
    check_refused 'havip-nbctl: rule 7 (same subnet): port p3 (subnet s2) is not in subnet s1 of HAVIP hv2' \
        havip-nbctl havip-associate hv2 p3
    check havip-nbctl havip-disassociate hv2 p1
    check_output '[]' havip-nbctl get HAVIP hv2 ports
    check_refused 'havip-nbctl: p1: port is not associated with HAVIP hv2' \
        havip-nbctl havip-disassociate hv2 p1
    check havip-nbctl --if-exists havip-disassociate hv2 p1
}

test_nbctl_holder() {
    check havip_start_nb
    nbctl_topology
    check_output '' havip-nbctl havip-get-holder hv1
    # Rule 6: the holder is an associated port.
    check_refused 'havip-nbctl: rule 6 (holder): port p1 is not associated with HAVIP hv2' \
        havip-nbctl havip-set-holder hv2 p1
    check_refused 'havip-nbctl: rule 6 (holder): port p3 is not associated with HAVIP hv1' \
        havip-nbctl havip-set-holder hv1 p3
    check havip-nbctl havip-set-holder hv1 p1
    check_output p1 havip-nbctl havip-get-holder hv1
    check havip-nbctl havip-set-holder hv1 p2
    check_output p2 havip-nbctl havip-get-holder hv1
    check havip-nbctl havip-clear-holder hv1
    check_output '' havip-nbctl havip-get-holder hv1
    check havip-nbctl havip-clear-holder hv1
    # Disassociating the holder clears the holder; another port does not.
    check havip-nbctl havip-set-holder hv1 p1
    check havip-nbctl havip-disassociate hv1 p2
    check_output p1 havip-nbctl havip-get-holder hv1
    check havip-nbctl havip-disassociate hv1 p1
    check_output '' havip-nbctl havip-get-holder hv1
    check_output '[]' havip-nbctl get HAVIP hv1 holder
}

# EIPs and the binding rules.

test_nbctl_eip_add() {
    check havip_start_nb
    nbctl_topology
    check havip-nbctl eip-add r1 e3 203.0.113.3
    check_output '"203.0.113.3"' havip-nbctl get EIP e3 ip
    check_output r1 sh -c "havip-nbctl get Region \$(havip-nbctl get EIP e3 region) name"
    check_refused 'havip-nbctl: e3: EIP already exists' \
        havip-nbctl eip-add r1 e3 203.0.113.3
    check havip-nbctl --may-exist eip-add r1 e3 203.0.113.3
    check_refused 'havip-nbctl: e3: EIP exists with IP 203.0.113.3' \
        havip-nbctl --may-exist eip-add r1 e3 203.0.113.4
    check_refused 'havip-nbctl: e3: EIP exists in region r1' \
        havip-nbctl --may-exist eip-add r2 e3 203.0.113.3
    check_refused 'havip-nbctl: 203.0.113: invalid IPv4 address' \
        havip-nbctl eip-add r1 e4 203.0.113
    check_refused 'havip-nbctl: rule 5 (addresses): EIP e4: 224.0.0.18 is not a unicast address' \
        havip-nbctl eip-add r1 e4 224.0.0.18
    check_refused 'havip-nbctl: rule 5 (addresses): EIP e4: 203.0.113.1 is also used by EIP e1' \
        havip-nbctl eip-add r1 e4 203.0.113.1
    check_refused 'havip-nbctl: rule 5 (addresses): EIP e4: 203.0.113.1 is also used by EIP e1' \
        havip-nbctl eip-add r2 e4 203.0.113.1
    check havip-nbctl eip-del e3
    check_refused 'havip-nbctl: e3: EIP not found' havip-nbctl eip-del e3
    check havip-nbctl --if-exists eip-del e3
}

test_nbctl_eip_bind() {
    check havip_start_nb
    nbctl_topology
    check havip-nbctl eip-bind e1 hv1
    check_output e1 sh -c "havip-nbctl get EIP \$(havip-nbctl get HAVIP hv1 eip) name"
    # Binding it again is a no-op.
    check havip-nbctl eip-bind e1 hv1
    check havip-nbctl eip-bind-port e2 p3
    check_output e2 sh -c "havip-nbctl get EIP \$(havip-nbctl get Port p3 eip) name"
    check havip-nbctl eip-unbind e1 -- eip-unbind e2
    check_output '[] []' sh -c 'echo $(havip-nbctl get HAVIP hv1 eip) $(havip-nbctl get Port p3 eip)'
    # Unbinding an unbound EIP is a no-op.
    check havip-nbctl eip-unbind e1
}

test_nbctl_eip_del_bound() {
    check havip_start_nb
    nbctl_topology
    check havip-nbctl eip-bind e1 hv1 -- eip-bind-port e2 p3
    check_refused 'havip-nbctl: e1: EIP is bound to HAVIP hv1; unbind it first' \
        havip-nbctl eip-del e1
    check_refused 'havip-nbctl: e2: EIP is bound to port p3; unbind it first' \
        havip-nbctl eip-del e2
    check havip-nbctl eip-unbind e1 -- eip-del e1
    check_output '' havip-nbctl --bare --columns=name find EIP name=e1
}

test_nbctl_rule1_same_region() {
    check havip_start_nb
    nbctl_topology
    check_refused 'havip-nbctl: rule 1 (same region): EIP e9 is in region r2 but HAVIP hv1 is in region r1' \
        havip-nbctl eip-bind e9 hv1
    check_refused 'havip-nbctl: rule 1 (same region): EIP e9 is in region r2 but port p1 is in region r1' \
        havip-nbctl eip-bind-port e9 p1
}

test_nbctl_rule2_eip_free() {
    check havip_start_nb
    nbctl_topology
    check havip-nbctl eip-bind e1 hv1 -- eip-bind-port e2 p3
    check_refused 'havip-nbctl: rule 2 (EIP free): EIP e1 is already bound to HAVIP hv1' \
        havip-nbctl eip-bind e1 hv2
    check_refused 'havip-nbctl: rule 2 (EIP free): EIP e2 is already bound to port p3' \
        havip-nbctl eip-bind e2 hv2
    check_refused 'havip-nbctl: rule 2 (EIP free): EIP e1 is already bound to HAVIP hv1' \
        havip-nbctl eip-bind-port e1 p1
    check_refused 'havip-nbctl: rule 2 (EIP free): EIP e2 is already bound to port p3' \
        havip-nbctl eip-bind-port e2 p2
    # Freed and rebound in one transaction.
    check havip-nbctl eip-unbind e1 -- eip-bind e1 hv2
    check_output e1 sh -c "havip-nbctl get EIP \$(havip-nbctl get HAVIP hv2 eip) name"
}

test_nbctl_rule3_one_eip_per_havip() {
    check havip_start_nb
    nbctl_topology
    check havip-nbctl eip-bind e1 hv1 -- eip-bind-port e2 p3
    check havip-nbctl eip-add r1 e3 203.0.113.3
    check_refused 'havip-nbctl: rule 3 (one binding per EIP): HAVIP hv1 already has EIP e1; unbind it first' \
        havip-nbctl eip-bind e3 hv1
    check_refused 'havip-nbctl: rule 3 (one binding per EIP): port p3 already has EIP e2; unbind it first' \
        havip-nbctl eip-bind-port e3 p3
    # Two EIPs for one HAVIP in one transaction.
    check_refused 'havip-nbctl: rule 3 (one binding per EIP): HAVIP hv2 already has EIP e3; unbind it first' \
        havip-nbctl eip-bind e3 hv2 -- eip-unbind e2 -- eip-bind e2 hv2
}

test_nbctl_rule4_bind_to_havip() {
    check havip_start_nb
    nbctl_topology
    check_refused 'havip-nbctl: rule 4 (bind to the HAVIP): p1 is a port, not a HAVIP (eip-bind-port pins an EIP to one vNIC, without failover)' \
        havip-nbctl eip-bind e1 p1
    # Pinning to a vNIC of a HAVIP works, with a warning.
    check_fails 0 'havip-nbctl: warning: rule 4 (bind to the HAVIP): port p1 is associated with HAVIP hv1; EIP e1 pinned to it will not fail over (use eip-bind e1 hv1)' \
        havip-nbctl eip-bind-port e1 p1
    check_output e1 sh -c "havip-nbctl get EIP \$(havip-nbctl get Port p1 eip) name"
    # A vNIC of no HAVIP: no warning.
    check_fails 0 '' havip-nbctl eip-bind-port e2 p3
}

test_nbctl_chaining_atomic() {
    check havip_start_nb
    nbctl_topology
    check_refused 'havip-nbctl: r9: region not found' \
        havip-nbctl region-add r3 -- vpc-add r9 vpc3
    check_output '' havip-nbctl --bare --columns=name find Region name=r3
    check_refused 'havip-nbctl: rule 2 (EIP free): EIP e1 is already bound to HAVIP hv1' \
        havip-nbctl eip-bind e1 hv1 -- eip-bind e1 hv2
    check_output '[]' havip-nbctl get HAVIP hv1 eip
    check_refused 'havip-nbctl: rule 6 (holder): port p2 is not associated with HAVIP hv1' \
        havip-nbctl havip-set-holder hv1 p1 -- havip-disassociate hv1 p2 \
        -- havip-set-holder hv1 p2
    check_output '' havip-nbctl havip-get-holder hv1
    # Every command's output, in order.
    check havip-nbctl havip-set-holder hv1 p2
    check_output 'p2
p2' havip-nbctl havip-get-holder hv1 -- havip-get-holder hv1
}

test_nbctl_uuids() {
    check havip_start_nb
    nbctl_topology
    r1=$(uuid Region r1) vpc1=$(uuid VPC vpc1) s1=$(uuid Subnet s1)
    check havip-nbctl vpc-add "$r1" vpc2 -- subnet-add "$vpc1" s3 10.0.3.0/24
    check havip-nbctl port-add "$s1" p4 52:54:00:00:01:04 10.0.1.14 \
        -- havip-add "$s1" hv3
    hv1=$(uuid HAVIP hv1) hv3=$(uuid HAVIP hv3)
    p1=$(uuid Port p1) p4=$(uuid Port p4)
    e1=$(uuid EIP e1) e2=$(uuid EIP e2)
    check havip-nbctl havip-associate "$hv3" "$p4" \
        -- havip-set-holder "$hv3" "$p4"
    check_output p4 havip-nbctl havip-get-holder "$hv3"
    check havip-nbctl eip-bind "$e1" "$hv1" -- eip-bind-port "$e2" "$p1"
    check_output "$e1" havip-nbctl get HAVIP hv1 eip
    check havip-nbctl havip-clear-holder "$hv3" \
        -- havip-disassociate "$hv3" "$p4" -- eip-unbind "$e1"
    check havip-nbctl havip-del "$hv3" -- port-del "$p4" \
        -- subnet-del "$(uuid Subnet s3)" -- vpc-del "$(uuid VPC vpc2)"
    check havip-nbctl eip-unbind "$e2" -- eip-del "$e2"
    check_output 'e1 e9' sh -c 'echo $(havip-nbctl --bare --columns=name list EIP | sort)'
    check havip-nbctl eip-del "$(uuid EIP e9)" -- region-del "$(uuid Region r2)"
    check_output r1 havip-nbctl --bare --columns=name list Region
}

test_nbctl_generic_commands() {
    check havip_start_nb
    nbctl_topology
    check_output '"10.0.1.11"' havip-nbctl get Port p1 ip
    check havip-nbctl set HAVIP hv1 options:learn=false
    check_output '"false"' havip-nbctl get HAVIP hv1 options:learn
    check havip-nbctl add HAVIP hv1 external_ids owner=lb -- \
        remove HAVIP hv1 options learn
    check_output '{owner=lb}' havip-nbctl get HAVIP hv1 external_ids
    check_output '{}' havip-nbctl get HAVIP hv1 options
    check_output 'p1
p2
p3' sh -c 'havip-nbctl --bare --columns=name list Port | grep . | sort'
    check_output p3 havip-nbctl --bare --columns=name find Port ip=10.0.2.11
    check havip-nbctl clear HAVIP hv1 external_ids
    check_output '{}' havip-nbctl get HAVIP hv1 external_ids
    check havip-nbctl destroy HAVIP hv2
    check_output '' havip-nbctl --bare --columns=name find HAVIP name=hv2
}

# The safety net: generic commands that would break a rule are refused with
# the rule checker's message.
test_nbctl_safety_net() {
    check havip_start_nb
    nbctl_topology
    p3=$(uuid Port p3) e1=$(uuid EIP e1) e9=$(uuid EIP e9)
    check_refused 'havip-nbctl: rule 6 (holder): holder p3 of HAVIP hv1 is not one of its associated ports' \
        havip-nbctl set HAVIP hv1 holder="$p3"
    check_refused 'havip-nbctl: rule 7 (same subnet): port p3 (subnet s2) is associated with HAVIP hv1 in subnet s1' \
        havip-nbctl add HAVIP hv1 ports "$p3"
    check_refused 'havip-nbctl: rule 5 (addresses): port p1: 10.0.1.0 is the network address of 10.0.1.0/24' \
        havip-nbctl set Port p1 ip=10.0.1.0
    check_refused 'havip-nbctl: rule 5 (addresses): port p2: 10.0.1.11 is also used by port p1 in VPC vpc1' \
        havip-nbctl set Port p2 ip=10.0.1.11
    check_refused 'havip-nbctl: rule 1 (same region): EIP e9 is in region r2 but HAVIP hv1 is in region r1' \
        havip-nbctl set HAVIP hv1 eip="$e9"
    check_refused 'havip-nbctl: rule 3 (one binding per EIP): EIP e1 is bound to both HAVIP hv1 and HAVIP hv2' \
        havip-nbctl set HAVIP hv1 eip="$e1" -- set HAVIP hv2 eip="$e1"
    check_refused 'havip-nbctl: rule 5 (addresses): subnet s1: 10.0.1.0/33: invalid CIDR (expected A.B.C.D/LEN)' \
        havip-nbctl set Subnet s1 cidr=10.0.1.0/33
    check_refused 'havip-nbctl: rule 5 (addresses): subnet s1: 10.0.1.5/24: host bits set in CIDR (the network is 10.0.1.0/24)' \
        havip-nbctl set Subnet s1 cidr=10.0.1.5/24
    check_refused 'havip-nbctl: rule 5 (addresses): subnet s1: 10.0.1.256/24: invalid CIDR (expected A.B.C.D/LEN)' \
        havip-nbctl set Subnet s1 cidr=10.0.1.256/24
}

# Rows written by raw transactions that break a rule are marked by "show";
# commands that do not add a violation keep working.
test_nbctl_raw_violation() {
    check havip_start_nb
    nbctl_topology
    p3=$(uuid Port p3)
    check nb_transact '{"op":"update","table":"HAVIP","where":[["name","==","hv1"]],"row":{"holder":["uuid","'"$p3"'"]}}'
    nbctl_show >show.out
    check_output '            havip hv1
                ! rule 6 (holder): holder p3 of HAVIP hv1 is not one of its associated ports
                ip: 10.0.1.100
                ports: p1 p2
                holder: p3' sed -n '/havip hv1/,/holder: /p' show.out
    check havip-nbctl port-add s1 p4 52:54:00:00:01:04 10.0.1.14
    check havip-nbctl havip-associate hv2 p4 -- havip-set-holder hv2 p4
    check havip-nbctl eip-bind e1 hv2
    check havip-nbctl set HAVIP hv1 options:learn=false
    # Fixing the row removes the mark.
    check havip-nbctl havip-set-holder hv1 p1
    nbctl_show >show.out
    grep '!' show.out && fail "show still marks a violation"
    true
}

test_nbctl_show() {
    check havip_start_nb
    check_output '' havip-nbctl show
    nbctl_topology
    check havip-nbctl havip-set-holder hv1 p2 -- eip-bind e1 hv1 \
        -- eip-bind-port e2 p3
    check nb_transact '{"op":"update","table":"HAVIP","where":[["name","==","hv1"]],"row":{"status":"in-use"}}' \
        '{"op":"update","table":"Port","where":[["name","==","p1"]],"row":{"chassis":"hv-a","up":true}}' \
        '{"op":"update","table":"Port","where":[["name","==","p2"]],"row":{"chassis":"hv-b","up":false}}'
    check_output 'region r1
    external_gateway_mac: 00:00:5e:00:01:01
    vpc vpc1
        subnet s1
            cidr: 10.0.1.0/24
            gateway: 10.0.1.1 (<mac>)
            port p1
                mac: 52:54:00:00:01:01
                ip: 10.0.1.11
                chassis: hv-a (up)
            port p2
                mac: 52:54:00:00:01:02
                ip: 10.0.1.12
                chassis: hv-b (down)
            havip hv1
                ip: 10.0.1.100
                ports: p1 p2
                holder: p2
                eip: e1 (203.0.113.1)
                status: in-use
            havip hv2
                ip: 10.0.1.101
        subnet s2
            cidr: 10.0.2.0/24
            gateway: 10.0.2.1 (<mac>)
            port p3
                mac: 52:54:00:00:02:01
                ip: 10.0.2.11
                eip: e2 (203.0.113.2)
    eip e1
        ip: 203.0.113.1
        bound: HAVIP hv1
    eip e2
        ip: 203.0.113.2
        bound: port p3
region r2
    eip e9
        ip: 198.51.100.9' nbctl_show
}

test_nbctl_show_marks() {
    check havip_start_nb
    nbctl_topology
    e1=$(uuid EIP e1) e9=$(uuid EIP e9)
    check nb_transact \
        '{"op":"update","table":"HAVIP","where":[["name","==","hv1"]],"row":{"eip":["uuid","'"$e1"'"]}}' \
        '{"op":"update","table":"HAVIP","where":[["name","==","hv2"]],"row":{"eip":["uuid","'"$e9"'"],"ip":"10.0.1.11"}}' \
        '{"op":"update","table":"Port","where":[["name","==","p3"]],"row":{"eip":["uuid","'"$e1"'"]}}'
    check_output '            port p1
                ! rule 5 (addresses): port p1: 10.0.1.11 is also used by HAVIP hv2 in VPC vpc1
--
            havip hv1
                ! rule 3 (one binding per EIP): EIP e1 is bound to both port p3 and HAVIP hv1
--
            havip hv2
                ! rule 1 (same region): EIP e9 is in region r2 but HAVIP hv2 is in region r1
                ! rule 5 (addresses): HAVIP hv2: 10.0.1.11 is also used by port p1 in VPC vpc1
--
            port p3
                ! rule 3 (one binding per EIP): EIP e1 is bound to both port p3 and HAVIP hv1' \
        sh -c "havip-nbctl show | grep -B1 '!'"
    # Unrelated commands still work.
    check havip-nbctl port-add s1 p4 52:54:00:00:01:04 10.0.1.14
    check havip-nbctl eip-add r1 e3 203.0.113.3
    check havip-nbctl havip-add s1 hv3
    check_output '"10.0.1.2"' havip-nbctl get HAVIP hv3 ip
    # A command that binds the broken EIP is refused all the same.
    check_refused 'havip-nbctl: rule 2 (EIP free): EIP e1 is already bound to HAVIP hv1' \
        havip-nbctl eip-bind e1 hv3
}

test_nbctl_chassis_list() {
    check havip_start_nb
    check_output '' havip-nbctl chassis-list
    check nb_transact '{"op":"insert","table":"Chassis","row":{"name":"hv2","hostname":"b"}}' \
        '{"op":"insert","table":"Chassis","row":{"name":"hv1","hostname":"a"}}'
    check_output 'hv1
hv2' havip-nbctl chassis-list
    check_output a havip-nbctl get Chassis hv1 hostname
}

# --wait=hv: nb_cfg is bumped in the same transaction and the command
# returns once hv_cfg catches up (a chassis is simulated here).
test_nbctl_wait_hv() {
    check havip_start_nb
    check havip-nbctl region-add r1
    check_output 0 havip-nbctl get NB_Global . nb_cfg
    check_fails 1 'havip-nbctl: timed out after 1 s waiting for the chassis to install nb_cfg 1 (hv_cfg is 0); the change is committed' \
        havip-nbctl --wait=hv --timeout=1 sync
    check_output 1 havip-nbctl get NB_Global . nb_cfg

    havip-nbctl --wait=hv --timeout=20 region-add r2 >wait.out 2>wait.err &
    pid=$!
    wait_until '[ "$(havip-nbctl get NB_Global . nb_cfg)" = 2 ]'
    check_output r2 havip-nbctl --bare --columns=name find Region name=r2
    kill -0 $pid || fail "--wait=hv returned before hv_cfg caught up"
    check nb_transact '{"op":"update","table":"NB_Global","where":[],"row":{"hv_cfg":2}}'
    rc=0
    wait $pid || rc=$?
    cat wait.err >&2
    expect_eq "$rc" 0 "exit status of --wait=hv"

    # Already acknowledged (hv_cfg ahead): returns at once.
    check nb_transact '{"op":"update","table":"NB_Global","where":[],"row":{"hv_cfg":10}}'
    check havip-nbctl --wait=hv --timeout=5 sync
    check_output 3 havip-nbctl get NB_Global . nb_cfg
    # A refused command does not bump nb_cfg; --wait=none never does.
    check_refused 'havip-nbctl: r1: region already exists' \
        havip-nbctl --wait=hv --timeout=5 region-add r1
    check havip-nbctl region-add r3
    check havip-nbctl sync
    check_output 3 havip-nbctl get NB_Global . nb_cfg
}

# Two CLIs bind one EIP at the same time: exactly one wins.  The server is
# stopped until both have connected, so that both usually read the same
# snapshot: then the second commit fails its verify of HAVIP.eip, is rerun
# on the new contents and refused.
test_nbctl_concurrent_eip_bind() {
    command -v ss >/dev/null || skip "needs ss (iproute2)"
    check havip_start_nb
    nbctl_topology
    nb_pid=$(cat "$HAVIP_RUNDIR/havip_nb.pid")
    on_exit "kill -CONT $nb_pid"
    sock=$HAVIP_RUNDIR/havip_nb.sock
    for round in 1 2 3 4 5; do
        check havip-nbctl eip-unbind e1
        kill -STOP "$nb_pid"
        havip-nbctl --log-file=$TESTDIR/a.log -vhavip_nbctl:file:dbg eip-bind e1 hv1 >a.out 2>a.err &
        a=$!
        havip-nbctl --log-file=$TESTDIR/b.log -vhavip_nbctl:file:dbg eip-bind e1 hv2 >b.out 2>b.err &
        b=$!
        # Both connections wait in the listen backlog.
        wait_until "[ \"\$(ss -xlH | awk -v s=$sock '\$5 == s { print \$3 }')\" -ge 2 ]"
        kill -CONT "$nb_pid"
        ra=0 rb=0
        wait $a || ra=$?
        wait $b || rb=$?
        cat a.err b.err >&2
        case $ra$rb in
            01) winner=hv1 loser_err=$(cat b.err) ;;
            10) winner=hv2 loser_err=$(cat a.err) ;;
            *) fail "round $round: exit statuses $ra and $rb" ;;
        esac
        expect_eq "$loser_err" \
            "havip-nbctl: rule 2 (EIP free): EIP e1 is already bound to HAVIP $winner" \
            "round $round: loser's error"
        check_output e1 sh -c "havip-nbctl get EIP \$(havip-nbctl get HAVIP $winner eip) name"
        check_output 1 sh -c 'havip-nbctl --bare --columns=eip list HAVIP | grep -c .'
    done
    # How often the loser's commit failed its verify and was rerun (most
    # rounds; the others read the winner's binding before committing).
    echo "retried: $(cat a.log b.log | grep -c retrying) of 5 rounds" >&2
}
