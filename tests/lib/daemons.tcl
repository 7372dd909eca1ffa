# daemons.tcl: the one way the tests start ckmig's daemons (testlib.tcl
# sources it). srvlib, momlib, qtools_lib and cluster.tcl build their
# homes and configurations; the starting is done here.
#
#   start_server HOME KEY ?-port P? ?-momport M? ?-on head? ?-out PATH? ?-name NAME? ?-args LIST?
#   start_mom HOME KEY ?-port P? ?-on NODE? ?-out PATH? ?-name NAME? ?-args LIST?
#       ckmig_server / ckmig_mom -D (its log lines on stderr too) on this
#       host, or on the virtual cluster's head or NODE with -on. Output is
#       appended to PATH (default HOME/NAME.out; NAME defaults to server or
#       mom), which is kept as build/test-logs/<file>.NAME.log and whose
#       error lines are printed when a test of the file failed (watch_log).
#       Stopped (SIGKILL) when the file ends, if nothing stopped it before.
#       Returns the pid.
#   start_cluster N ?OPTIONS?   a whole cluster on the virtual cluster
#       (cluster.tcl's cluster_up: server on the head, a MOM per node)

proc ::ckmigtest::start_daemon {prog home key defname opts} {
    set o [dict merge [dict create -port "" -momport "" -on "" -out "" -name $defname -args {}] $opts]
    set name [dict get $o -name]
    set out [dict get $o -out]
    if {$out eq ""} { set out [file join $home $name.out] }
    set cmd [list [ckmig_bin $prog] -D -d $home -k $key]
    if {$prog eq "ckmig_server"} {
        if {[dict get $o -port] ne ""} { lappend cmd -p [dict get $o -port] }
        if {[dict get $o -momport] ne ""} { lappend cmd -M [dict get $o -momport] }
    } elseif {[dict get $o -port] ne ""} {
        lappend cmd -M [dict get $o -port]
    }
    lappend cmd {*}[dict get $o -args]
    set on [dict get $o -on]
    if {$on eq "head"} {
        set cmd [list [file join $::env(CKMIG_TOP) tests cluster vcluster] head {*}$cmd]
    } elseif {$on ne ""} {
        set cmd [list [file join $::env(CKMIG_TOP) tests cluster vcluster] on $on {*}$cmd]
    }
    watch_log $out $name
    # the vcluster wrapper execs nsenter, which execs the daemon: same pid
    set pid [exec {*}$cmd >>& $out &]
    at_cleanup [list stop_bg $pid KILL]
    return $pid
}

proc start_server {home key args} {
    return [::ckmigtest::start_daemon ckmig_server $home $key server $args]
}

proc start_mom {home key args} {
    return [::ckmigtest::start_daemon ckmig_mom $home $key mom $args]
}

proc start_cluster {n args} {
    if {[info commands cluster_up] eq ""} {
        source [file join $::env(CKMIG_TOP) tests lib cluster.tcl]
    }
    return [cluster_up $n {*}$args]
}
