# migrate.tcl: the body of migrate.bench (which starts the process-event
# watcher, runs this, and tears everything down however it ends).
#   tclsh migrate.tcl WORKDIR     (WORKDIR/events: proc_watch's output)
# For each size: a mig_ticker job submitted as an ordinary user with -c
# enabled, run on node1, moved with `qmigrate -w -H node2`; then the same
# job under cr_run on node1, `criu dump` there and `criu restore -d -S` on
# node2, images in the same shared directory.  Prints downtimes side by
# side, then where our downtime went.

set work [lindex $argv 0]
set argv {}     ;# tcltest (loaded by testlib) would take it for its options
source [file join $env(CKMIG_TOP) tests lib testlib.tcl]
source [file join $env(CKMIG_TOP) tests lib cluster.tcl]

source [file join [file dirname [info script]] migrate_lib.tcl]

# --- the run -----------------------------------------------------------------
proc best {a b} { return [expr {$b eq "" || [dict get $a gap] < [dict get $b gap] ? $a : $b}] }

bench_main {
    bench_cluster_up

    set rows {}
    foreach mib $sizes {
        set o ""
        set r ""
        for {set i 0} {$i < $repeat} {incr i} {
            say "$mib MiB: qmigrate -w -H node2 (run [expr {$i + 1}] of $repeat)"
            set x [run_ours $mib]
            dict set x phases [phases_ours $x]
            set o [best $x $o]
            say "$mib MiB: raw criu dump on node1, restore on node2"
            set y [run_raw $mib]
            dict set y phases [phases_raw $y]
            set r [best $y $r]
            say "$mib MiB: downtime ours [fmt [dict get $x gap]] s, raw [fmt [dict get $y gap]] s"
        }
        lappend rows $mib $o $r
    }

    set hdr "%-6s | %-9s %-9s %-8s %-7s %-6s | %-10s | %-8s %-8s"
    puts [format $hdr MiB down-ours down-raw diff ratio <=+0.1 qmigrate-w raw-dump raw-rst]
    foreach {mib o r} $rows {
        set go [dict get $o gap]
        set gr [dict get $r gap]
        puts [format $hdr $mib [fmt $go] [fmt $gr] [fmt [expr {$go - $gr}]] \
                  [format %.2f [expr {$go / $gr}]] [expr {$go <= $gr + 0.1 ? "yes" : "NO"}] \
                  [fmt [dict get $o qmigrate]] [fmt [dict get $r dump]] [fmt [dict get $r restore]]]
    }
    puts "times in seconds; down = largest gap between the job's own timestamps (every ${interval} ms,"
    puts "median gap [format %.4f [dict get [lindex $rows 1] median]] s) across the move; ours = qmigrate -w -H node2 on the"
    puts "virtual cluster; raw = criu dump on node1 + criu restore -d -S on node2 of the same job under"
    puts "cr_run, same shared directory; qmigrate-w = the whole command; raw-dump/raw-rst = each criu"
    puts "command as this script timed it (with vcluster's nsenter); <=+0.1: the target, ours <= raw + 0.1 s."
    puts ""
    puts "where the downtime went (s):"
    set names {}
    foreach {mib o r} $rows { lappend names $mib }
    puts [format "  %-62s %s" "ours, inside the gap" [join [lmap m $names {format %8s ${m}MiB}] ""]]
    set n [llength [lindex [dict get [lindex $rows 1] phases] 0]]
    for {set k 0} {$k < $n} {incr k 2} {
        set line [format "  %-62s" [lindex [dict get [lindex $rows 1] phases] 0 $k]]
        foreach {mib o r} $rows { append line [format %8s [fmt [lindex [dict get $o phases] 0 $k+1]]] }
        puts $line
    }
    puts "  ours, before the freeze (the job still runs)"
    set n [llength [lindex [dict get [lindex $rows 1] phases] 1]]
    for {set k 0} {$k < $n} {incr k 2} {
        set line [format "  %-62s" [lindex [dict get [lindex $rows 1] phases] 1 $k]]
        foreach {mib o r} $rows { append line [format %8s [fmt [lindex [dict get $o phases] 1 $k+1]]] }
        puts $line
    }
    puts "  raw, inside the gap"
    set n [llength [dict get [lindex $rows 2] phases]]
    for {set k 0} {$k < $n} {incr k 2} {
        set line [format "  %-62s" [lindex [dict get [lindex $rows 2] phases] $k]]
        foreach {mib o r} $rows { append line [format %8s [fmt [lindex [dict get $r phases] $k+1]]] }
        puts $line
    }
    puts "(phases from kernel process events; \"-\" where an event was not seen)"
    # the key figures last, one per line, to compare from run to run:
    # our downtime minus raw CRIU's, in seconds (target <= 0.1)
    foreach {mib o r} $rows {
        puts [format "figure migrate.downtime_minus_raw.%s %.3f" $mib \
                  [expr {[dict get $o gap] - [dict get $r gap]}]]
    }
}
