# -*- sh -*-
# tests/upgrade.sh: the NB database across schema versions.  A database
# made with the previous schema (tests/data/havip-nb-1.0.0.ovsschema, the
# schema of 5ab0c12) is converted to the checkout's schema when its
# ovsdb-server starts (havip-ctl start_nb, as the havip-central unit does,
# and havip_run_nb_server, which the sandbox and the tests use), after a
# backup; its rows survive.

upgrade_old_schema=$HAVIP_SRCDIR/tests/data/havip-nb-1.0.0.ovsschema
upgrade_schema=$HAVIP_SRCDIR/ovsdb/havip-nb.ovsschema
upgrade_db=$HAVIP_RUNDIR/havip_nb.db

# upgrade_ctl ARGS: the checkout's havip-ctl with the checkout's schema,
# every directory in the test's run directory (havip_env).
upgrade_ctl() {
    "$HAVIP_SRCDIR/utilities/havip-ctl" --db-nb-schema="$upgrade_schema" "$@"
}

# upgrade_old_db: a schema-1.0.0 database with a region, a VPC, a subnet,
# two ports, a HAVIP associated with both, held by p1 and bound to an
# EIP, and a chassis; a port made and deleted in a later transaction, so
# the file holds more history than rows.
upgrade_old_db() {
    check ovsdb-tool create "$upgrade_db" "$upgrade_old_schema"
    check ovsdb-tool transact "$upgrade_db" '["HAVIP_Northbound",
        {"op": "insert", "table": "NB_Global", "row": {"nb_cfg": 7}},
        {"op": "insert", "table": "Region", "uuid-name": "r1",
         "row": {"name": "r1", "external_gateway_mac": "00:00:5e:00:01:01"}},
        {"op": "insert", "table": "VPC", "uuid-name": "vpc1",
         "row": {"name": "vpc1", "region": ["named-uuid", "r1"]}},
        {"op": "insert", "table": "Subnet", "uuid-name": "s1",
         "row": {"name": "s1", "vpc": ["named-uuid", "vpc1"],
                 "cidr": "10.0.1.0/24", "gateway_ip": "10.0.1.1",
                 "gateway_mac": "0a:00:00:00:01:01"}},
        {"op": "insert", "table": "Port", "uuid-name": "p1",
         "row": {"name": "p1", "subnet": ["named-uuid", "s1"],
                 "mac": "52:54:00:00:01:01", "ip": "10.0.1.11",
                 "chassis": "hv-a", "up": true}},
        {"op": "insert", "table": "Port", "uuid-name": "p2",
         "row": {"name": "p2", "subnet": ["named-uuid", "s1"],
                 "mac": "52:54:00:00:01:02", "ip": "10.0.1.12"}},
        {"op": "insert", "table": "EIP", "uuid-name": "e1",
         "row": {"name": "e1", "ip": "203.0.113.1",
                 "region": ["named-uuid", "r1"]}},
        {"op": "insert", "table": "HAVIP",
         "row": {"name": "hv1", "subnet": ["named-uuid", "s1"],
                 "ip": "10.0.1.100", "status": "in-use",
                 "ports": ["set", [["named-uuid", "p1"],
                                   ["named-uuid", "p2"]]],
                 "holder": ["named-uuid", "p1"],
                 "eip": ["named-uuid", "e1"]}},
        {"op": "insert", "table": "Chassis",
         "row": {"name": "hv-a", "hostname": "host-a", "nb_cfg": 7}}]'
    check ovsdb-tool transact "$upgrade_db" '["HAVIP_Northbound",
        {"op": "insert", "table": "Port",
         "row": {"name": "p9", "subnet": ["uuid",
                 "'"$(upgrade_uuid Subnet s1)"'"],
                 "mac": "52:54:00:00:01:09", "ip": "10.0.1.19"}}]'
    check ovsdb-tool transact "$upgrade_db" '["HAVIP_Northbound",
        {"op": "delete", "table": "Port",
         "where": [["name", "==", "p9"]]}]'
    check_output 1.0.0 ovsdb-tool db-version "$upgrade_db"
}

# upgrade_uuid TABLE NAME: the UUID of a row of the (offline) database.
upgrade_uuid() {
    ovsdb-tool query "$upgrade_db" '["HAVIP_Northbound",
        {"op": "select", "table": "'"$1"'",
         "where": [["name", "==", "'"$2"'"]], "columns": ["_uuid"]}]' \
        | sed -E 's/.*"uuid","([^"]*)".*/\1/'
}

# upgrade_check_rows: the old database's rows, seen through havip-nbctl
# on the running (converted) server.
upgrade_check_rows() {
    check_output 'region r1
    external_gateway_mac: 00:00:5e:00:01:01
    vpc vpc1
        subnet s1
            cidr: 10.0.1.0/24
            gateway: 10.0.1.1 (0a:00:00:00:01:01)
            port p1
                mac: 52:54:00:00:01:01
                ip: 10.0.1.11
                chassis: hv-a (up)
            port p2
                mac: 52:54:00:00:01:02
                ip: 10.0.1.12
            havip hv1
                ip: 10.0.1.100
                ports: p1 p2
                holder: p1
                eip: e1 (203.0.113.1)
                status: in-use
    eip e1
        ip: 203.0.113.1
        bound: HAVIP hv1' havip-nbctl show
    check_output hv-a havip-nbctl chassis-list
    check_output 7 havip-nbctl get NB_Global . nb_cfg
}

# upgrade_backups: the backups of the database file, one a line.
upgrade_backups() {
    for f in "$HAVIP_RUNDIR"/havip_nb.db.backup*; do
        [ -e "$f" ] && basename "$f"
    done
    return 0
}

test_upgrade_convert_on_start() {
    upgrade_old_db
    old_cksum=$(ovsdb-tool db-cksum "$upgrade_db" | cut -d' ' -f1)
    cp "$upgrade_db" old.db
    check upgrade_ctl start_nb
    grep -q "converting .*havip_nb.db from schema 1.0.0 to 1.1.0" check.out \
        || fail "start_nb did not say it converted"
    check_output "$(ovsdb-tool schema-version "$upgrade_schema")" \
        ovsdb-tool db-version "$upgrade_db"
    check_output 1.1.0 ovsdb-tool db-version "$upgrade_db"
    check_output no ovsdb-tool needs-conversion "$upgrade_db" "$upgrade_schema"

    # The backup is the old file as it was.
    check_output "havip_nb.db.backup1.0.0-$old_cksum" upgrade_backups
    backup=$HAVIP_RUNDIR/havip_nb.db.backup1.0.0-$old_cksum
    check cmp old.db "$backup"
    check_output yes ovsdb-tool needs-conversion "$backup" "$upgrade_schema"

    upgrade_check_rows
    # The new schema's columns are there to write.
    check havip-nbctl set Chassis hv-a encap_ip=192.0.2.1 encap_type=geneve \
        -- set Port p1 tunnel_key=5
    check_output '"192.0.2.1"' havip-nbctl get Chassis hv-a encap_ip
    check_output 5 havip-nbctl get Port p1 tunnel_key

    # A restart on the converted file converts nothing and backs up nothing.
    check upgrade_ctl stop_nb
    check_fails 1 '' upgrade_ctl status_nb
    check upgrade_ctl start_nb
    grep -q converting check.out && fail "converted an up-to-date database"
    check_output "havip_nb.db.backup1.0.0-$old_cksum" upgrade_backups
    check_output '"192.0.2.1"' havip-nbctl get Chassis hv-a encap_ip
    upgrade_check_rows
}

# The sandbox's and the tests' helper shares havip-ctl's logic.  A second
# conversion from the same version keeps the first one's backup.
test_upgrade_run_nb_server() {
    upgrade_old_db
    cp "$upgrade_db" old.db
    check havip_run_nb_server
    check_output 1.1.0 ovsdb-tool db-version "$upgrade_db"
    upgrade_check_rows

    check upgrade_ctl stop_nb
    check cp old.db "$upgrade_db"
    check havip_run_nb_server
    upgrade_check_rows
    check_output 'havip_nb.db.backup1.0.0-0
havip_nb.db.backup1.0.0-0.1' upgrade_backups
    check cmp old.db "$HAVIP_RUNDIR/havip_nb.db.backup1.0.0-0.1"
}

# A missing file is created from the schema, with its NB_Global row.
test_upgrade_fresh_db() {
    check upgrade_ctl start_nb
    check_output 1.1.0 ovsdb-tool db-version "$upgrade_db"
    check_output '' upgrade_backups
    check_output 0 havip-nbctl get NB_Global . nb_cfg
    check_output '' havip-nbctl show
}

# A schema that cannot be read: nothing starts, the file is untouched.
test_upgrade_missing_schema() {
    upgrade_old_db
    check_fails 1 "havip-ctl: $HAVIP_RUNDIR/none.ovsschema: schema not found" \
        upgrade_ctl --db-nb-schema="$HAVIP_RUNDIR/none.ovsschema" start_nb
    check_output 1.0.0 ovsdb-tool db-version "$upgrade_db"
    check_output '' upgrade_backups
    [ ! -e "$HAVIP_RUNDIR/havip_nb.pid" ] || fail "a server started"
}

# A conversion that the rows cannot satisfy (a schema 1.2.0 that makes
# Port.ip unique, two ports with one address).  "ovsdb-tool convert" of
# OVS 3.1 then writes a database without any row and exits 0; start_nb
# sees the rows gone, puts the original file back, says so and starts
# nothing.
test_upgrade_failed_conversion() {
    python3 - "$upgrade_schema" >strict.ovsschema <<'PY'
import json, sys
schema = json.load(open(sys.argv[1]))
schema["version"] = "1.2.0"
schema["tables"]["Port"]["indexes"].append(["ip"])
json.dump(schema, sys.stdout, indent=2)
PY
    check ovsdb-tool create "$upgrade_db" "$upgrade_schema"
    check ovsdb-tool transact "$upgrade_db" '["HAVIP_Northbound",
        {"op": "insert", "table": "Region", "uuid-name": "r1",
         "row": {"name": "r1"}},
        {"op": "insert", "table": "VPC", "uuid-name": "vpc1",
         "row": {"name": "vpc1", "region": ["named-uuid", "r1"]}},
        {"op": "insert", "table": "Subnet", "uuid-name": "s1",
         "row": {"name": "s1", "vpc": ["named-uuid", "vpc1"],
                 "cidr": "10.0.1.0/24"}},
        {"op": "insert", "table": "Port",
         "row": {"name": "p1", "subnet": ["named-uuid", "s1"],
                 "ip": "10.0.1.11"}},
        {"op": "insert", "table": "Port",
         "row": {"name": "p2", "subnet": ["named-uuid", "s1"],
                 "ip": "10.0.1.11"}}]'
    cksum=$(ovsdb-tool db-cksum "$upgrade_db" | cut -d' ' -f1)
    backup=$HAVIP_RUNDIR/havip_nb.db.backup1.1.0-$cksum
    rc=0
    upgrade_ctl --db-nb-schema="$TESTDIR/strict.ovsschema" start_nb \
        >start.out 2>&1 || rc=$?
    cat start.out >&2
    expect_eq "$rc" 1 "start_nb's exit status"
    check_output "havip-ctl: converting $upgrade_db to schema 1.2.0 would lose rows (table, rows before, after: Port 2 0, Region 1 0, Subnet 1 0, VPC 1 0): they break the new schema's constraints; the file is restored from $backup" \
        tail -1 start.out
    [ ! -e "$HAVIP_RUNDIR/havip_nb.pid" ] || fail "a server started"
    check_output 1.1.0 ovsdb-tool db-version "$upgrade_db"
    check cmp "$upgrade_db" "$backup"
    check_output 2 sh -c "ovsdb-tool query '$upgrade_db' \
        '[\"HAVIP_Northbound\", {\"op\": \"select\", \"table\": \"Port\",
          \"where\": []}]' | grep -o '\"name\":\"p[12]\"' | wc -l"
}

# A schema that drops a table (Chassis) and a column (Port.tunnel_key),
# and makes Region a non-root table: their data, and the region no VPC or
# EIP refers to, go on purpose, and the conversion is not refused for it.
test_upgrade_table_dropped() {
    python3 - "$upgrade_schema" >smaller.ovsschema <<'PY'
import json, sys
schema = json.load(open(sys.argv[1]))
schema["version"] = "1.2.0"
del schema["tables"]["Chassis"]
del schema["tables"]["Port"]["columns"]["tunnel_key"]
schema["tables"]["Region"]["isRoot"] = False
json.dump(schema, sys.stdout, indent=2)
PY
    upgrade_old_db
    check upgrade_ctl start_nb
    check havip-nbctl set Port p1 tunnel_key=5 -- region-add r9
    check upgrade_ctl stop_nb
    check upgrade_ctl --db-nb-schema="$TESTDIR/smaller.ovsschema" start_nb
    grep -q 'rows garbage-collected by the conversion (table, rows before, after: Region 2 1)' \
        check.out || fail "no word of the collected region"
    check_output 1.2.0 ovsdb-tool db-version "$upgrade_db"
    check_output r1 nb_field Region name
    check_output 'p1
p2' nb_field Port name
    check_output 'hv1' nb_field HAVIP name
    ovsdb-client list-tables "$HAVIP_NB_DB" HAVIP_Northbound >tables.out
    grep -qx Chassis tables.out && fail "Chassis is still there"
    ovsdb-client list-columns "$HAVIP_NB_DB" HAVIP_Northbound Port >columns.out
    grep -q tunnel_key columns.out && fail "Port.tunnel_key is still there"
    return 0
}

# A new file whose NB_Global row cannot be written (a schema whose
# NB_Global needs a row of another table).  "ovsdb-tool transact" exits 0
# on a failed transaction: start_nb must still fail, leave no file behind
# (a second start would otherwise take the row-less file for a database
# and serve it) and start nothing.
test_upgrade_create_fails() {
    python3 - "$upgrade_schema" >bad.ovsschema <<'PY'
import json, sys
schema = json.load(open(sys.argv[1]))
schema["tables"]["NB_Global"]["columns"]["region"] = {
    "type": {"key": {"type": "uuid", "refTable": "Region"}}}
json.dump(schema, sys.stdout, indent=2)
PY
    for i in 1 2; do
        rc=0
        upgrade_ctl --db-nb-schema="$TESTDIR/bad.ovsschema" start_nb \
            >start.out 2>&1 || rc=$?
        cat start.out >&2
        expect_eq "$rc" 1 "start_nb's exit status (start $i)"
        grep -q "cannot create $upgrade_db: .*referential integrity" \
            start.out || fail "start $i did not say why"
        [ ! -e "$upgrade_db" ] || fail "start $i left $upgrade_db"
        [ ! -e "$upgrade_db.new" ] || fail "start $i left $upgrade_db.new"
        [ ! -e "$HAVIP_RUNDIR/havip_nb.pid" ] || fail "a server started"
    done
    check_output '' upgrade_backups

    # With a schema that works, the same directory gets a good file.
    check upgrade_ctl start_nb
    check_output 0 havip-nbctl get NB_Global . nb_cfg
}
