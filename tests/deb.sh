# -*- sh -*-
# tests/deb.sh: the Debian packages ("make deb", debian/).  The packages in
# deb/ are built once, by the first test that needs them, when they are
# missing or older than the files they are built from (about 35 s here).
# Then: their file lists, lintian, an install with dpkg into a fresh root
# of the test's own (never the host's), and the installed programs run
# from that root: --version, --help, havip-ctl starting a private NB
# database server and controller in the test's run directory.
#
# test_deb_debootstrap installs them into a debootstrapped Debian 12 with
# apt, dependencies and all; it downloads a base system and Open vSwitch
# from the Debian mirror (about 100 MB, 36 s here), so it runs only with
# HAVIP_TEST_DEBOOTSTRAP=1.

deb_version=$(sed -n 's/^#define HAVIP_VERSION "\(.*\)"$/\1/p' \
    "$HAVIP_SRCDIR/include/havip-version.h")
deb_dir=$HAVIP_SRCDIR/deb
deb_packages="havip-common havip-nbctl havip-central havip-controller"
deb_ovs_version=$(dpkg-query -W -f='${Version}' openvswitch-source \
    2>/dev/null | sed 's/-[^-]*$//')
deb_schema_version=$(ovsdb-tool schema-version \
    "$HAVIP_SRCDIR/ovsdb/havip-nb.ovsschema")

# deb_file PACKAGE: the path of PACKAGE's .deb.
deb_file() {
    for f in "$deb_dir/$1_${deb_version}"_*.deb; do
        echo "$f"
    done
}

# deb_stale: true if deb/ lacks this version's packages or a file they are
# built from changed after them.
deb_stale() {
    changes=$deb_dir/havip_${deb_version}_amd64.changes
    [ -f "$changes" ] || return 0
    for p in $deb_packages; do
        [ -f "$(deb_file $p)" ] || return 0
    done
    [ -n "$(cd "$HAVIP_SRCDIR" && find Makefile build-aux controller debian \
            flows include ovsdb utilities -newer "$changes" -type f \
            ! -name '*.o' ! -name '*.d' ! -name '*.a' \
            ! -name 'havip-nb-idl.*' ! -name '*.ovsidl' \
            ! -path controller/havip-controller \
            ! -path utilities/havip-nbctl | head -1)" ]
}

# deb_build: "make deb" unless the packages are up to date.  Without root
# the packaging tools must already be installed.
deb_build() {
    if [ "$(id -u)" != 0 ]; then
        for t in dpkg-buildpackage dh lintian; do
            command -v $t >/dev/null || skip "$t is missing (run as root)"
        done
    fi
    deb_stale || return 0
    check make -C "$HAVIP_SRCDIR" deb
}

# deb_tool COMMAND PACKAGE: COMMAND is there, installed from PACKAGE when
# missing (as root); without root and without it, the test is skipped.
deb_tool() {
    command -v "$1" >/dev/null && return 0
    [ "$(id -u)" = 0 ] || skip "$1 is missing (run as root)"
    check "$HAVIP_SRCDIR/build-aux/install-deps.sh" "$2"
    command -v "$1" >/dev/null || fail "$1 missing after installing $2"
}

# deb_list PACKAGE: the paths of PACKAGE's files and links, not directories,
# sorted, without the leading ".".
deb_list() {
    dpkg-deb -c "$(deb_file "$1")" \
        | awk '$1 !~ /^d/ { print $6 }' | sed 's,^\.,,' | sort
}

# deb_mini_root ROOT: a fresh root directory with an empty dpkg database
# and a shell (dash and the libraries it needs), enough for dpkg --root to
# run maintainer scripts in a chroot; no systemd, no apt, no Open vSwitch.
deb_mini_root() {
    r=$1
    mkdir -p "$r/usr/bin" "$r/usr/sbin" "$r/usr/lib" "$r/usr/lib64" \
        "$r/etc" "$r/tmp" "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" \
        "$r/var/log"
    ln -s usr/bin "$r/bin"
    ln -s usr/sbin "$r/sbin"
    ln -s usr/lib "$r/lib"
    ln -s usr/lib64 "$r/lib64"
    : >"$r/var/lib/dpkg/status"
    : >"$r/var/lib/dpkg/available"
    cp /usr/bin/dash "$r/usr/bin/dash"
    ln -s dash "$r/usr/bin/sh"
    for lib in $(ldd /usr/bin/dash | grep -o '/[^ ]*'); do
        mkdir -p "$r$(dirname "$lib")"
        cp -L "$lib" "$r$lib"
    done
}

# deb_install_root ROOT: installs the four packages into a fresh ROOT with
# dpkg --root, their dependencies (Open vSwitch, libc, libssl) forced: the
# root has none of them.
deb_install_root() {
    deb_mini_root "$1"
    debs=
    for p in $deb_packages; do
        debs="$debs $(deb_file $p)"
    done
    # shellcheck disable=SC2086
    check dpkg --root="$1" --force-depends -i $debs
}

test_deb_build() {
    deb_build
    check_output "$deb_version" dpkg-parsechangelog \
        -l "$HAVIP_SRCDIR/debian/changelog" -S Version
    for p in $deb_packages; do
        deb=$(deb_file $p)
        [ -f "$deb" ] || fail "no package $p in $deb_dir"
        check_output "$p $deb_version" \
            dpkg-deb -W --showformat='${Package} ${Version}' "$deb"
    done
    check_output 'all
all
amd64
amd64' sh -c "for p in $deb_packages; do
                 dpkg-deb -f \"\$(ls $deb_dir/\${p}_${deb_version}_*.deb)\" \
                     Architecture; done | sort"

    # Lintian: no error, no warning (info and pedantic tags allowed).
    lintian --info "$deb_dir/havip_${deb_version}_amd64.changes" \
        >lintian.out 2>&1 || true
    cat lintian.out >&2
    if grep -E '^[EW]: ' lintian.out; then
        fail "lintian reported errors or warnings"
    fi
}

test_deb_contents() {
    deb_build
    check_output '/usr/share/doc/havip-common/changelog.gz
/usr/share/doc/havip-common/copyright
/usr/share/havip/scripts/havip-ctl
/usr/share/man/man8/havip-ctl.8.gz' deb_list havip-common
    check_output '/usr/bin/havip-nbctl
/usr/share/doc/havip-nbctl/changelog.gz
/usr/share/doc/havip-nbctl/copyright
/usr/share/man/man8/havip-nbctl.8.gz' deb_list havip-nbctl
    check_output '/etc/default/havip-central
/etc/logrotate.d/havip-central
/lib/systemd/system/havip-central.service
/usr/share/doc/havip-central/changelog.gz
/usr/share/doc/havip-central/copyright
/usr/share/havip/havip-nb.ovsschema' deb_list havip-central
    check_output '/etc/default/havip
/etc/logrotate.d/havip-controller
/lib/systemd/system/havip-controller.service
/usr/bin/havip-controller
/usr/bin/havip-trace
/usr/share/doc/havip-controller/changelog.gz
/usr/share/doc/havip-controller/copyright
/usr/share/man/man8/havip-controller.8.gz
/usr/share/man/man8/havip-trace.8.gz' deb_list havip-controller

    # The directories for the database and the logs.
    dpkg-deb -c "$(deb_file havip-common)" | awk '{ print $1, $6 }' \
        >common.list
    for d in /var/lib/havip /var/log/havip; do
        grep -qx "drwxr-xr-x .$d/" common.list || fail "no $d"
    done
    grep -qx -- '-rwxr-xr-x ./usr/share/havip/scripts/havip-ctl' common.list \
        || fail "havip-ctl is not executable"

    # Dependencies.
    dpkg-deb -f "$(deb_file havip-controller)" Depends >depends.out
    grep -q 'openvswitch-switch' depends.out \
        || fail "controller: $(cat depends.out)"
    grep -q "havip-common (= $deb_version)" depends.out \
        || fail "controller: $(cat depends.out)"
    dpkg-deb -f "$(deb_file havip-central)" Depends >depends.out
    grep -q 'openvswitch-common' depends.out \
        || fail "central: $(cat depends.out)"

    # The configuration files are conffiles.
    check_output '/etc/default/havip
/etc/logrotate.d/havip-controller' \
        sh -c "dpkg-deb --ctrl-tarfile '$(deb_file havip-controller)' \
                   | tar -xOf - ./conffiles"
}

test_deb_install_root() {
    need_root
    deb_build
    root=$TESTDIR/root
    host_had=$(ls /usr/share/havip/scripts/havip-ctl 2>/dev/null) || true
    deb_install_root "$root"
    for p in $deb_packages; do
        check_output "install ok installed $deb_version" \
            dpkg-query --root="$root" -W -f='${Status} ${Version}' "$p"
    done
    # Nothing of it landed outside the root.
    expect_eq "$(ls /usr/share/havip/scripts/havip-ctl 2>/dev/null || true)" \
        "$host_had" "havip-ctl on the host"

    # The installed programs, run from the root.
    check_output "havip-controller (Open vSwitch) $deb_ovs_version
OpenFlow versions 0x6:0x6
HAVIP_Northbound DB Schema $deb_schema_version
havip $deb_version" \
        "$root/usr/bin/havip-controller" --version
    check "$root/usr/bin/havip-controller" --help
    grep -q '^usage: havip-controller \[OPTIONS\] \[OVS_DB\]$' check.out \
        || fail "havip-controller --help"
    # Without OVS_RUNDIR, the switch is Debian's (include/havip-dirs.h).
    check env -u OVS_RUNDIR "$root/usr/bin/havip-controller" --help
    grep -q '(default: "unix:/var/run/openvswitch/db.sock")' check.out \
        || fail "havip-controller's default OVS database"
    check_output "havip-nbctl (Open vSwitch) $deb_ovs_version
DB Schema $deb_schema_version
havip $deb_version" "$root/usr/bin/havip-nbctl" --version
    check "$root/usr/bin/havip-nbctl" --help
    grep -q '^usage: havip-nbctl \[OPTIONS\] COMMAND \[ARG\.\.\.\]$' \
        check.out \
        || fail "havip-nbctl --help"
    check_output "havip-trace (Open vSwitch) $deb_ovs_version
DB Schema $deb_schema_version
havip $deb_version" "$root/usr/bin/havip-trace" --version
    check "$root/usr/bin/havip-trace" --help
    grep -q '^usage: havip-trace \[OPTIONS\] INPORT FLOW$' check.out \
        || fail "havip-trace --help"
    check "$root/usr/share/havip/scripts/havip-ctl" --help
    grep -q '^  start_nb ' check.out || fail "havip-ctl --help"
    check cmp "$root/usr/share/havip/havip-nb.ovsschema" \
        "$HAVIP_SRCDIR/ovsdb/havip-nb.ovsschema"
    for m in havip-controller havip-nbctl havip-trace havip-ctl; do
        check man -P cat -l "$root/usr/share/man/man8/$m.8.gz"
        grep -q "^NAME" check.out || fail "man page $m"
    done

    # The units run what the root has, from the defaults files it has.
    for u in havip-central havip-controller; do
        unit=$root/lib/systemd/system/$u.service
        for exe in $(sed -n 's/^Exec[A-Za-z]*=\([^ ]*\).*/\1/p' "$unit"); do
            [ -x "$root$exe" ] \
                || fail "$u.service runs $exe, not in the package"
        done
        env=$(sed -n 's/^EnvironmentFile=-//p' "$unit")
        [ -f "$root$env" ] || fail "$u.service reads $env, not in the package"
    done
    # systemd's own check, with the host's units (openvswitch-switch's
    # among them) beside the packages' in the root: no warning at all.
    deb_tool systemd-analyze systemd
    check test -f /lib/systemd/system/openvswitch-switch.service
    check cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
    systemd-analyze verify --man=no --root="$root" \
        /lib/systemd/system/havip-central.service \
        /lib/systemd/system/havip-controller.service >verify.out 2>&1 \
        || { cat verify.out >&2; fail "systemd-analyze verify"; }
    check_output '' cat verify.out
    unit=$root/lib/systemd/system/havip-controller.service
    grep -qx 'Requires=openvswitch-switch.service' "$unit" || fail "Requires"
    grep -qx 'After=openvswitch-switch.service havip-central.service' "$unit" \
        || fail "After"
    deb_tool logrotate logrotate
    for f in "$root"/etc/logrotate.d/havip-*; do
        check logrotate --debug --state="$TESTDIR/logrotate.state" "$f"
    done

    # Removal and purge take everything away again.
    check dpkg --root="$root" --force-depends --purge $deb_packages
    left=$(cd "$root" && find etc usr/share/havip usr/bin lib/systemd \
               var/lib/havip -name '*havip*' 2>/dev/null) || true
    expect_eq "$left" "" "files left after purge"
}

# havip-ctl from the installed root serves a database and runs a
# controller, all in the test's run directory (havip_env set HAVIP_RUNDIR,
# HAVIP_LOGDIR, HAVIP_DBDIR and OVS_RUNDIR there), with the root's
# programs first on PATH.
test_deb_installed_daemons() {
    need_root
    deb_build
    root=$TESTDIR/root
    deb_install_root "$root"
    ctl=$root/usr/share/havip/scripts/havip-ctl
    PATH=$root/usr/bin:$PATH
    check_output "$root/usr/bin/havip-nbctl" command -v havip-nbctl

    check "$ctl" start_nb
    grep -q "creating $HAVIP_RUNDIR/havip_nb.db (schema $deb_schema_version)" \
        check.out || fail "start_nb did not create the database"
    check_output "$deb_schema_version" \
        ovsdb-tool db-version "$HAVIP_RUNDIR/havip_nb.db"
    check "$ctl" status_nb
    check havip-nbctl region-add r1 -- vpc-add r1 vpc1
    check_output 'region r1
    vpc vpc1' havip-nbctl show

    check havip_start_ovs
    check "$ctl" --ovs-db="unix:$HAVIP_RUNDIR/db.sock" start_controller
    check "$ctl" status_controller
    wait_until '[ "$(havip-nbctl chassis-list)" = hv1 ]' 30
    # It is the root's controller that runs.
    pid=$(cat "$HAVIP_RUNDIR/havip-controller.pid")
    check_output "$root/usr/bin/havip-controller" readlink "/proc/$pid/exe"
    check test -s "$HAVIP_RUNDIR/havip-controller.log"

    # The packages' logrotate files, pointed at the run directory: each
    # daemon writes to the new log file after the rotation.
    deb_tool logrotate logrotate
    for u in havip-central havip-controller; do
        sed -e "s,/var/log/havip/,$HAVIP_RUNDIR/," \
            -e "s,/run/havip/,$HAVIP_RUNDIR/,g" \
            "$root/etc/logrotate.d/$u" >"logrotate-$u"
        check logrotate -f --state="$TESTDIR/logrotate.state" \
            "logrotate-$u"
    done
    for d in havip_nb havip-controller; do
        check test -f "$HAVIP_RUNDIR/$d.log.1"
        pid=$(cat "$HAVIP_RUNDIR/$d.pid")
        wait_until \
            "ls -l /proc/$pid/fd | grep -q ' $HAVIP_RUNDIR/$d.log\$'" 30
    done

    # Stopped with --restart, the chassis stays; without, it leaves.
    check "$ctl" --restart stop_controller
    check_fails 1 '' "$ctl" status_controller
    check_output hv1 havip-nbctl chassis-list
    check "$ctl" --ovs-db="unix:$HAVIP_RUNDIR/db.sock" start_controller
    check havip-nbctl --timeout=30 --wait=hv sync
    check "$ctl" stop_controller
    check_output '' havip-nbctl chassis-list

    check "$ctl" stop_nb
    check_fails 1 '' "$ctl" status_nb

    # What the units run: the daemons in the foreground, in place of
    # havip-ctl (the pidfile names the process systemd started); a second
    # start keeps the database.
    "$ctl" run_nb >run_nb.out 2>&1 &
    nb_pid=$!
    wait_until "\"$ctl\" status_nb" 30
    check_output "$nb_pid" cat "$HAVIP_RUNDIR/havip_nb.pid"
    check_output 'region r1
    vpc vpc1' havip-nbctl show
    "$ctl" --ovs-db="unix:$HAVIP_RUNDIR/db.sock" run_controller \
        >run_controller.out 2>&1 &
    controller_pid=$!
    wait_until "\"$ctl\" status_controller" 30
    check_output "$controller_pid" cat "$HAVIP_RUNDIR/havip-controller.pid"
    wait_until '[ "$(havip-nbctl chassis-list)" = hv1 ]' 30
    check "$ctl" stop_controller
    check_output '' havip-nbctl chassis-list
    check "$ctl" stop_nb
    for pid in $nb_pid $controller_pid; do
        rc=0
        wait "$pid" || rc=$?
        expect_eq "$rc" 0 "the exit status of foreground daemon $pid"
    done
}

# deb_chroot CMD...: CMD in the chroot $root, with a clean environment
# (none of the run directory's OVS_* and HAVIP_* variables).
deb_chroot() {
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"
}

# The packages installed with apt into a debootstrapped Debian 12, with
# their dependencies; no service started (policy-rc.d, no systemd there).
test_deb_debootstrap() {
    [ -n "${HAVIP_TEST_DEBOOTSTRAP:-}" ] || skip "set HAVIP_TEST_DEBOOTSTRAP=1"
    need_root
    check "$HAVIP_SRCDIR/build-aux/install-deps.sh" debootstrap
    deb_build
    root=$TESTDIR/root
    mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources \
                 2>/dev/null | head -1)
    check debootstrap --variant=minbase bookworm "$root" \
        "${mirror:-http://deb.debian.org/debian}"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod +x "$root/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mkdir -p "$root/debs"
    for p in $deb_packages; do
        cp "$(deb_file $p)" "$root/debs/"
    done
    # 400 MB: gone at the end (never across a mount point).
    on_exit "rm -rf --one-file-system '$root'"
    mount -t proc proc "$root/proc"
    on_exit "umount '$root/proc'"
    on_exit "havip_kill '$root/tmp/run/havip_nb.pid'"
    check deb_chroot apt-get update -q
    check deb_chroot env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends \
        /debs/havip-common_${deb_version}_all.deb \
        /debs/havip-central_${deb_version}_all.deb \
        "/debs/$(basename "$(deb_file havip-nbctl)")" \
        "/debs/$(basename "$(deb_file havip-controller)")"
    for p in $deb_packages openvswitch-switch; do
        check deb_chroot dpkg-query -W -f='${Status}\n' "$p"
        expect_eq "$(cat check.out)" "install ok installed" "$p"
    done
    check deb_chroot havip-controller --version
    grep -qx "havip $deb_version" check.out \
        || fail "havip-controller --version"
    check deb_chroot havip-nbctl --version
    grep -qx "havip $deb_version" check.out || fail "havip-nbctl --version"

    # Everything with its packaged defaults, as the units run it: Debian's
    # Open vSwitch in the chroot (its own ovsdb-server and ovs-vswitchd, on
    # the dummy datapath only, so nothing reaches the host's network), the
    # NB server and the controller by havip-ctl without any option.
    ctl=/usr/share/havip/scripts/havip-ctl
    for d in openvswitch/ovsdb-server openvswitch/ovs-vswitchd \
             havip/havip_nb havip/havip-controller; do
        on_exit "havip_kill '$root/run/${d%/*}/${d#*/}.pid'"
    done
    check deb_chroot mkdir -p /run/openvswitch /var/log/openvswitch
    check deb_chroot ovsdb-tool create /etc/openvswitch/conf.db \
        /usr/share/openvswitch/vswitch.ovsschema
    check deb_chroot ovsdb-server --detach --no-chdir --pidfile \
        --log-file --remote=punix:/var/run/openvswitch/db.sock \
        /etc/openvswitch/conf.db
    check deb_chroot ovs-vsctl --no-wait init \
        -- set Open_vSwitch . external_ids:system-id=hv-deb
    check deb_chroot ovs-vswitchd --detach --no-chdir --pidfile \
        --log-file --enable-dummy --disable-system -vconsole:off
    check deb_chroot ovs-vsctl --timeout=30 add-br br-int \
        -- set bridge br-int datapath_type=dummy fail-mode=secure
    check deb_chroot $ctl start_nb
    check deb_chroot $ctl start_controller
    check deb_chroot havip-nbctl region-add r1
    check_output 'region r1' deb_chroot havip-nbctl show
    wait_until '[ "$(deb_chroot havip-nbctl chassis-list)" = hv-deb ]' 30
    check deb_chroot havip-nbctl --timeout=30 --wait=hv sync
    check deb_chroot ovs-appctl -t /run/havip/havip-controller.ctl \
        connection-status
    # havip-trace, by hand, without options, finds Debian's switch.
    check deb_chroot havip-nbctl vpc-add r1 vpc1 \
        -- subnet-add vpc1 s1 10.0.1.0/24 \
        -- port-add s1 vm1 0a:00:00:00:01:0b 10.0.1.11 \
        -- port-add s1 vm2 0a:00:00:00:01:0c 10.0.1.12
    for i in 1 2; do
        check deb_chroot ovs-vsctl add-port br-int vm$i \
            -- set interface vm$i type=dummy ofport_request=$i \
               external_ids:iface-id=vm$i
    done
    check deb_chroot havip-nbctl --timeout=30 --wait=hv sync
    wait_until '[ "$(deb_chroot havip-nbctl get Port vm2 up)" = true ]' 30
    check_output 'output to vm2 (port 2)' \
        deb_chroot havip-trace --summary vm1 'icmp,nw_dst=10.0.1.12'
    check deb_chroot $ctl stop_controller
    check_output '' deb_chroot havip-nbctl chassis-list
    check deb_chroot $ctl stop_nb
}
