# testlib.tcl: what every ckmig integration test sources first.
#
#   source [file join $env(CKMIG_TOP) tests lib testlib.tcl]
#
# Gives tcltest (imported), constraints `root` and `criu`, and helpers:
#   ckmig_bin NAME              path of a built program (bin, sbin, libexec, workloads)
#   tmpdir ?prefix?             a fresh directory, removed when the file ends
#   at_cleanup SCRIPT           run SCRIPT when the test file ends (LIFO)
#   wait_for_condition EXPR ?ms? ?step_ms?   poll EXPR (in caller's scope); error on timeout
#                               (ms stretched by wait_scale)
#   wait_scale                  $CKMIG_TEST_WAIT_SCALE (default 3): what every bound on a
#                               wait is multiplied by (a loaded machine is ~3x slower)
#   free_port                   a TCP port nobody listens on now
#   test_user NAME              create an ordinary user if missing; returns its uid
#   run_as USER CMD...          exec CMD as USER (runuser), returns stdout
#   spawn_bg LOG CMD...         start CMD in the background, stdout+stderr to LOG; returns pid
#   stop_bg PID ?sig?           kill and reap a background process
#   vc_up N / vc_down           the virtual cluster (tests/cluster/vcluster), torn down at exit
#   vc_on NODE CMD...           exec CMD on NODE; vc_head CMD... on the head
#   vc_env                      dict of the cluster's description (VC_ROOT, VC_HEAD_ADDR, ...)
#   file_contents PATH          whole file, "" if missing
#   start_server / start_mom / start_cluster   the daemons (tests/lib/daemons.tcl)
#   watch_log PATH NAME         a daemon's output: kept as build/test-logs/FILE.NAME.log
#                               when the test file ends, and its error lines
#                               printed if a test of the file failed
# Environment (set by tests/run): CKMIG_TOP, CKMIG_BUILD, CKMIG_CRIU.

package require tcltest 2
namespace import ::tcltest::*

foreach {v d} [list CKMIG_TOP [file normalize [file join [file dirname [info script]] .. ..]]] {
    if {![info exists ::env($v)]} { set ::env($v) $d }
}
if {![info exists ::env(CKMIG_BUILD)]} { set ::env(CKMIG_BUILD) [file join $::env(CKMIG_TOP) build] }
set ::env(CKMIG_BUILD) [file normalize $::env(CKMIG_BUILD)]
if {![info exists ::env(CKMIG_CRIU)]} {
    set f [file join $::env(CKMIG_TOP) build deps criu.path]
    set ::env(CKMIG_CRIU) [expr {[file exists $f] ? [string trim [read [set fd [open $f]]][close $fd]] : "criu"}]
}
lappend ::auto_path [file join $::env(CKMIG_BUILD) tcl]
# Tests get their own cluster name, so a running `make demo` is left alone.
if {![info exists ::env(VC_NAME)]} { set ::env(VC_NAME) ckmigt }

namespace eval ::ckmigtest {
    variable cleanups {}
    variable vc_started 0
}

proc at_cleanup {script} {
    set ::ckmigtest::cleanups [linsert $::ckmigtest::cleanups 0 $script]
}

proc ::ckmigtest::run_cleanups {args} {
    variable cleanups
    set todo $cleanups
    set cleanups {}
    foreach s $todo {
        if {[catch {uplevel #0 $s} err]} { puts stderr "cleanup failed: $s: $err" }
    }
}
# tcltest's cleanupTests ends every test file: clean up before it reports.
# A file that ends otherwise (an error in its setup, outside any test, ends
# tclsh with `exit 1`) cleans up too: daemons it started are never left.
trace add execution ::tcltest::cleanupTests enter ::ckmigtest::run_cleanups
trace add execution exit enter ::ckmigtest::run_cleanups

testConstraint root [expr {[exec id -u] == 0}]
testConstraint criu [expr {![catch {exec $::env(CKMIG_CRIU) --version} out] ||
                           [string match *Version:* $out]}]

proc ckmig_bin {name} {
    foreach d {bin sbin libexec tests/workloads tests/bench} {
        set p [file join $::env(CKMIG_BUILD) $d $name]
        if {[file executable $p]} { return $p }
    }
    error "program $name is not built (looked in $::env(CKMIG_BUILD)/{bin,sbin,libexec,tests/workloads})"
}

proc tmpdir {{prefix test}} {
    set base /var/tmp
    for {set i 0} {$i < 100} {incr i} {
        set d [file join $base ckmig-$prefix.[pid].[expr {int(rand()*1e9)}]]
        if {![file exists $d]} break
    }
    file mkdir $d
    file attributes $d -permissions 0755
    at_cleanup [list file delete -force $d]
    return $d
}

proc file_contents {path} {
    if {[catch {open $path r} fd]} { return "" }
    set s [read $fd]
    close $fd
    return $s
}

# Bounded polling instead of sleeps (Redis's wait_for_condition). The
# bound is only how long to wait before calling it a failure, so it is
# stretched by $CKMIG_TEST_WAIT_SCALE (default 3): a machine kept busy
# (a parallel build, tests/run -j) makes everything ~3x slower, and a
# condition that comes true returns at once whatever the bound.
proc wait_scale {} {
    return [expr {[info exists ::env(CKMIG_TEST_WAIT_SCALE)] ? $::env(CKMIG_TEST_WAIT_SCALE) : 3}]
}
# Changes the byte at OFFSET of PATH for certain (inverted; a random byte
# would be the same one time in 256); past the end, the file grows by one.
proc flip_byte {path offset} {
    set f [open $path r+]
    fconfigure $f -translation binary
    seek $f $offset
    set b [read $f 1]
    set v [expr {$b eq "" ? 0 : ([scan $b %c] ^ 0xff)}]
    seek $f $offset
    puts -nonewline $f [binary format c $v]
    close $f
}

proc wait_for_condition {cond {timeout_ms 10000} {step_ms 50}} {
    set timeout_ms [expr {int($timeout_ms * [wait_scale])}]
    set deadline [expr {[clock milliseconds] + $timeout_ms}]
    while 1 {
        if {[uplevel 1 [list expr $cond]]} { return 1 }
        if {[clock milliseconds] > $deadline} {
            error "condition not met within $timeout_ms ms: $cond"
        }
        after $step_ms
    }
}

# A TCP port nobody listens on now (on every address: servers bind them
# all). Below the kernel's ephemeral range, so no outgoing connection takes
# it before the daemon binds it; under tests/run -j, from this file's own
# slice ($CKMIG_TEST_SLOT of $CKMIG_TEST_SLOTS), so no file running beside
# it picks the same one.
proc free_port {} {
    set lo 20000
    set hi 32767
    if {![catch {open /proc/sys/net/ipv4/ip_local_port_range} f]} {
        set eph [lindex [read $f] 0]
        close $f
        if {[string is integer -strict $eph] && $eph > $lo + 1000} { set hi [expr {$eph - 1}] }
    }
    if {[info exists ::env(CKMIG_TEST_SLOT)] && [info exists ::env(CKMIG_TEST_SLOTS)] &&
        $::env(CKMIG_TEST_SLOTS) > 1} {
        set span [expr {($hi - $lo + 1) / $::env(CKMIG_TEST_SLOTS)}]
        set lo [expr {$lo + $::env(CKMIG_TEST_SLOT) * $span}]
        set hi [expr {$lo + $span - 1}]
    }
    for {set i 0} {$i < 50} {incr i} {
        set p [expr {$lo + int(rand() * ($hi - $lo + 1))}]
        if {![catch {socket -server {apply {{c a p} {close $c}}} $p} s]} {
            close $s
            return $p
        }
    }
    error "no free port"
}

proc test_user {name} {
    if {[catch {exec id -u $name} uid]} {
        # files running at once (tests/run -j) may both create it
        exec flock /tmp/ckmig-useradd.lock sh -c "id -u $name >/dev/null 2>&1 || useradd -m -s /bin/bash $name"
        set uid [exec id -u $name]
    }
    return $uid
}

proc run_as {user args} {
    return [exec runuser -u $user -- {*}$args]
}

proc spawn_bg {log args} {
    set pid [exec {*}$args >& $log &]
    at_cleanup [list stop_bg $pid KILL]
    return $pid
}

# Daemon logs (-D: Torque's log lines on stderr). The copy is named after
# the test file; a failed test's report ends with every error event
# (Torque's PBSEVENT_ERROR, ";0001;") and fault point the daemons logged.
namespace eval ::ckmigtest { variable watched {} }
proc watch_log {path name} {
    set stem [file rootname [string map {/ _} [file join {*}[lrange [file split $::argv0] end-1 end]]]]
    set keep [file join $::env(CKMIG_BUILD) test-logs $stem.$name.log]
    # a second daemon of the same name on another home (a second server)
    # is kept as NAME-2, ...
    for {set k 2} {[dict exists $::ckmigtest::watched $keep]} {incr k} {
        if {[dict get $::ckmigtest::watched $keep] eq $path} { return }
        set keep [file join $::env(CKMIG_BUILD) test-logs $stem.$name-$k.log]
    }
    dict set ::ckmigtest::watched $keep $path
    file delete $keep
    # LIFO: runs before the cleanups that stop the daemon's directory going
    at_cleanup [list ::ckmigtest::keep_log $path $keep]
}
proc ::ckmigtest::keep_log {path keep} {
    catch {file mkdir [file dirname $keep]}
    # a daemon restarted on the same path appends; keep every run
    if {[catch {set f [open $keep a]}]} return
    puts -nonewline $f [file_contents $path]
    close $f
    if {[info exists ::tcltest::numTests(Failed)] && $::tcltest::numTests(Failed) > 0} {
        set errs [lsearch -all -inline -regexp [split [file_contents $keep] \n] \
                      {;0001;|ckmig fault point|AddressSanitizer|runtime error}]
        if {[llength $errs]} {
            puts "---- error lines of [file tail $keep] ([llength $errs]; whole log: $keep)"
            puts [join [lrange $errs end-40 end] \n]
        }
    }
}

proc stop_bg {pid {sig TERM}} {
    catch {exec kill -$sig $pid}
    # reap: exec'd background children become zombies of tclsh otherwise
    for {set i 0} {$i < 100} {incr i} {
        if {![file exists /proc/$pid] || [regexp {State:\s+Z} [file_contents /proc/$pid/status]]} break
        after 20
    }
    catch {exec kill -KILL $pid}
    # Tcl reaps finished background children at its next exec.
    catch {exec true}
}

# --- the virtual cluster ---------------------------------------------------
proc vcluster {args} {
    return [exec [file join $::env(CKMIG_TOP) tests cluster vcluster] {*}$args 2>@1]
}
proc vc_up {n} {
    if {!$::ckmigtest::vc_started} {
        at_cleanup vc_down
        set ::ckmigtest::vc_started 1
    }
    return [vcluster up $n]
}
proc vc_down {} {
    catch {vcluster down}
}
proc vc_on {node args} {
    return [exec [file join $::env(CKMIG_TOP) tests cluster vcluster] on $node {*}$args]
}
proc vc_head {args} {
    return [exec [file join $::env(CKMIG_TOP) tests cluster vcluster] head {*}$args]
}
proc vc_env {} {
    set d {}
    foreach line [split [vcluster env] \n] {
        if {[regexp {^(\w+)=(.*)$} $line -> k v]} { dict set d $k $v }
    }
    return $d
}

source [file join [file dirname [info script]] daemons.tcl]

# $PBS_HOME/pbs_environment for a ckmig_mom, as an operator writes it for
# pbs_mom: the scripts get only this (a bare NAME passes the MOM's own on).
proc write_pbs_environment {home} {
    set f [open [file join $home pbs_environment] w]
    puts $f "PATH=/bin:/usr/bin\nLANG=C"
    foreach v {CKMIG_CRIU CKMIG_CKPT_KEY CKMIG_CRIU_PRELOAD CKMIG_IMAGE_HASH CKMIG_BIN
               CKMIG_LOG_DIR CKMIG_QALTER CKMIG_FAULT CKMIG_FAULT_LOG CKMIG_LIVE CKMIG_LIVE_ROUND
               PBS_SERVER_SOCKET TCLLIBPATH} {
        puts $f $v
    }
    close $f
}
