# migrate_modes.tcl: the second part of migrate.bench (issue 15): downtime
# of each way to move a job, side by side, in one run.
#   tclsh migrate_modes.tcl WORKDIR     (WORKDIR/events: proc_watch's output)
# For each size (CKMIG_BENCH_MODE_SIZES, MiB; default 256 1024) and dirty
# rate (CKMIG_BENCH_RATES, MiB/s the job rewrites; default 10 200), the
# same mig_ticker job moved node1 -> node2:
#   stopcopy     qmigrate -w (shared checkpoint directory)
#   live         qmigrate -w --live
#   live-noshd   qmigrate -w --live, the job's checkpoint directory each
#                node's own: the images go MOM to MOM
#   lazy         qmigrate -w, node2 restoring with cr_restart --lazy
#                (CKMIG_LAZY=yes in its pbs_environment)
#   raw          criu dump + criu restore -d -S of the job under cr_run
#   raw-pre      criu pre-dump --track-mem, then dump + restore: CRIU's own
#                pre-copy (where pre-dump fails, its error is printed and
#                the move is a plain dump + restore)
#   raw-lazy     criu dump; criu lazy-pages + criu restore --lazy-pages
#   postcopy     cr_checkpoint --postcopy on node1 + cr_restart --pages-from
#                on node2: the pages from node1's memory, never on disk
#                (our tools, by hand)
#   qpostcopy    qmigrate -w --postcopy: the same through the server and
#                the MOMs
#   raw-postcopy criu dump --lazy-pages --port; criu lazy-pages --page-server;
#                criu restore --lazy-pages (CRIU's documented lazy migration)
# CKMIG_BENCH_MODES="raw postcopy ..." runs only those modes.
# Downtime: the largest gap in the job's own timestamps.  For the lazy
# modes also when the last page was in (the lazy-pages daemon's exit),
# counted from the same freeze.  Ends with the figure lines.

set work [lindex $argv 0]
set argv {}     ;# tcltest (loaded by testlib) would take it for its options
source [file join $env(CKMIG_TOP) tests lib testlib.tcl]
source [file join $env(CKMIG_TOP) tests lib cluster.tcl]
source [file join [file dirname [info script]] migrate_lib.tcl]

set msizes [expr {[info exists env(CKMIG_BENCH_MODE_SIZES)] ? $env(CKMIG_BENCH_MODE_SIZES) : "256 1024"}]
set rates [expr {[info exists env(CKMIG_BENCH_RATES)] ? $env(CKMIG_BENCH_RATES) : "10 200"}]
set modes {
    stopcopy   ours {}
    live       ours {live 1}
    live-noshd ours {live 1 noshared 1}
    lazy       ours {lazy 1}
    raw        raw  {mode stopcopy}
    raw-pre    raw  {mode precopy}
    raw-lazy   raw  {mode lazy}
    postcopy   pc   {mode ours}
    qpostcopy  ours {postcopy 1}
    raw-postcopy pc {mode raw}
}
if {[info exists env(CKMIG_BENCH_MODES)]} {
    set modes [concat {*}[lmap {m how o} $modes {
        expr {$m in $env(CKMIG_BENCH_MODES) ? [list $m $how $o] : [continue]}}]]
}

bench_main {
    bench_cluster_up
    set res {}
    set predump ""
    foreach mib $msizes {
        foreach rate $rates {
            foreach {mode how opts} $modes {
                say "$mib MiB at $rate MiB/s: $mode"
                dict set opts rate $rate
                set a [switch $how ours { run_ours $mib $opts } raw { run_raw $mib $opts } \
                           pc { run_postcopy $mib $opts }]
                if {[dict exists $a predump] && [dict get $a predump] ne ""} {
                    set predump [dict get $a predump]
                }
                set last ""
                if {[dict exists $a lastpage]} {
                    set last [expr {[dict get $a lastpage] - [dict get $a before]}]
                }
                dict set res $mib $rate $mode [list [dict get $a gap] $last]
                say "$mib MiB at $rate MiB/s: $mode downtime [fmt [dict get $a gap]] s"
            }
        }
    }

    set names {}
    foreach {m - -} $modes { lappend names $m }
    puts [format "%-5s %-6s | %s" MiB MiB/s [join [lmap m $names {format %13s $m}] ""]]
    foreach mib $msizes {
        foreach rate $rates {
            set line [format "%-5s %-6s |" $mib $rate]
            foreach m $names {
                set g [lindex [dict get $res $mib $rate $m] 0]
                # a move stops the job for at least a dump: a gap this
                # small means the stop was not seen in its timestamps
                append line [format %13s "[fmt $g][expr {$g < 0.05 ? "?" : ""}]"]
            }
            puts $line
        }
    }
    puts "downtime in seconds: the largest gap between the job's own timestamps (every\
          ${interval} ms) across the move, node1 -> node2; MiB/s: how much of its memory the job\
          rewrites per second."
    puts "?: no gap longer than 0.05 s in the job's timestamps: the stop was not seen (not a result)"
    puts "lazy modes, last page in (s after the freeze; the job ran before that):"
    foreach mib $msizes {
        foreach rate $rates {
            set line [format "  %5s MiB at %4s MiB/s:" $mib $rate]
            foreach m {lazy raw-lazy postcopy raw-postcopy qpostcopy} {
                if {![dict exists $res $mib $rate $m]} { continue }
                append line [format " %s %s (down %s)" $m [fmt [lindex [dict get $res $mib $rate $m] 1]] \
                                 [fmt [lindex [dict get $res $mib $rate $m] 0]]]
            }
            puts $line
        }
    }
    if {$predump ne ""} {
        puts "raw-pre: criu pre-dump failed here, so it is a plain dump + restore: $predump"
    }
    # the key figures last, one per line, to compare from run to run (the
    # lowest dirty rate asked for, the largest size)
    set big [lindex $msizes end]
    set low [lindex $rates 0]
    foreach {key mode} {stopcopy_downtime_s stopcopy live_downtime_s live
                        live_noshared_downtime_s live-noshd lazy_downtime_s lazy
                        raw_stopcopy_downtime_s raw raw_precopy_downtime_s raw-pre
                        raw_lazy_downtime_s raw-lazy postcopy_downtime_s postcopy
                        raw_postcopy_downtime_s raw-postcopy
                        qmigrate_postcopy_downtime_s qpostcopy} {
        if {![dict exists $res $big $low $mode]} { continue }
        puts [format "figure migrate.%s.%s %.3f" $key $big [lindex [dict get $res $big $low $mode] 0]]
    }
    foreach {key mode} {lazy_lastpage_s lazy postcopy_lastpage_s postcopy} {
        if {![dict exists $res $big $low $mode]} { continue }
        puts [format "figure migrate.%s.%s %s" $key $big [fmt [lindex [dict get $res $big $low $mode] 1]]]
    }
    # side by side: post-copy against stop-and-copy, ours and raw CRIU's
    foreach {a b} {postcopy stopcopy raw-postcopy raw postcopy raw-postcopy qpostcopy stopcopy} {
        foreach mib $msizes {
            foreach rate $rates {
                if {![dict exists $res $mib $rate $a] || ![dict exists $res $mib $rate $b]} { continue }
                set x [lindex [dict get $res $mib $rate $a] 0]
                set y [lindex [dict get $res $mib $rate $b] 0]
                if {$y > 0} {
                    puts [format "ratio %s/%s %s MiB %s MiB/s: %.2f" $a $b $mib $rate [expr {$x / $y}]]
                }
            }
        }
    }
}
