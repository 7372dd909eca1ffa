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

set events_file [file join $work events]
set sizes [expr {[info exists env(CKMIG_BENCH_SIZES)] ? $env(CKMIG_BENCH_SIZES) : "64 256 1024"}]
set repeat [expr {[info exists env(CKMIG_BENCH_REPEAT)] ? $env(CKMIG_BENCH_REPEAT) : 1}]
set interval 5          ;# ms between the job's timestamps
set runfor 900          ;# s of ticking at most: a lost job ends by itself
set settle 40           ;# ticks seen before a move, and after it
set shared /var/spool/ckmig-shared
set vcluster [file join $env(CKMIG_TOP) tests cluster vcluster]

proc say {msg} { puts stderr "migrate.bench: $msg" }
proc now {} { return [expr {[clock microseconds] / 1e6}] }
proc fmt {x} {
    if {$x eq ""} { return - }
    return [format %.3f $x]
}

# --- the job's own record --------------------------------------------------
proc ticks_in {text} { return [regexp -all -line {^tick \d+ } $text] }

# What the job saw: its ticks in order from 1 without repeat (it never
# started over), the largest gap between two timestamps and where it lay.
proc analyse {text} {
    set prev_n 0
    set prev_t ""
    set gap 0
    set tb 0
    set ta 0
    set seq_ok 1
    set gaps {}
    foreach {- n t} [regexp -all -inline -line {^tick (\d+) (\d+\.\d+)$} $text] {
        if {$n != $prev_n + 1} { set seq_ok 0 }
        if {$prev_t ne ""} {
            set g [expr {$t - $prev_t}]
            lappend gaps $g
            if {$g > $gap} { set gap $g; set tb $prev_t; set ta $t }
        }
        set prev_n $n
        set prev_t $t
    }
    set gaps [lsort -real $gaps]
    set median [expr {[llength $gaps] ? [lindex $gaps [expr {[llength $gaps] / 2}]] : 0}]
    set starts [regexp -all -line {^start pid=} $text]
    return [dict create gap $gap before $tb after $ta ticks $prev_n \
                intact [expr {$seq_ok && $starts == 1}] median $median]
}

# --- process events (proc_watch) ---------------------------------------------
# name -> list of {exec_time exit_time pid mnt a1 a2}, for the processes seen
proc read_events {} {
    set d {}
    set byname {}
    set f [open $::events_file]
    foreach line [split [read $f] \n] {
        lassign $line what t pid
        if {$what eq "exec"} {
            lassign $line - - - mnt name a1 a2
            dict set d $pid [list $name $t "" $mnt $a1 $a2]
        } elseif {$what eq "exit" && [dict exists $d $pid]} {
            dict set d $pid [lreplace [dict get $d $pid] 2 2 $t]
        }
    }
    close $f
    dict for {pid e} $d {
        lassign $e name t0 t1 mnt a1 a2
        dict lappend byname $name [list $t0 $t1 $pid $mnt $a1 $a2]
    }
    return $byname
}

# the first (or last) process NAME on NODE (first argument ARG1 when
# given) started within [FROM, TO]: {exec exit}, or {"" ""}
proc ev {evs name node from to {arg1 ""} {which first}} {
    set r {"" ""}
    if {![dict exists $evs $name]} { return $r }
    foreach e [lsort -index 0 -real [dict get $evs $name]] {
        lassign $e t0 t1 pid mnt a1
        if {$mnt == $::mntns($node) && $t0 >= $from && $t0 <= $to && ($arg1 eq "" || $a1 eq $arg1)} {
            set r [list $t0 $t1]
            if {$which eq "first"} break
        }
    }
    return $r
}
proc d {a b} { return [expr {$a eq "" || $b eq "" ? "" : $b - $a}] }

# --- ours: qmigrate on the whole cluster -----------------------------------
proc clear_shared_checkpoints {} {
    foreach p [glob -nocomplain -directory [file join [dict get [vc_env] VC_ROOT] shared checkpoint] *] {
        file delete -force $p
    }
}

proc run_ours {mib} {
    global u ticker interval runfor settle
    set id [submit $u "#!/bin/bash\n#PBS -c enabled\nexec $ticker $mib $interval $runfor\n" \
                -j oe -o /dev/null]
    qok qrun -H node1 $id
    wait_job $id job_state R 60000
    wait_for_condition {[ticks_in [spool_out node1 $id]] >= $settle} 300000 50
    set t0 [now]
    lassign [q -user $u qmigrate -w -H node2 $id] rc out err
    set t1 [now]
    if {$rc != 0} { error "qmigrate -w -H node2 $id exited $rc: $err$out" }
    if {![string match "*running on node2*" $out]} { error "qmigrate said: $out" }
    set n0 [ticks_in [spool_out node2 $id]]
    wait_for_condition {[ticks_in [spool_out node2 $id]] >= $n0 + $settle} 60000 50
    set a [analyse [spool_out node2 $id]]
    # when cr_checkpoint wrote the manifest (after the hash tail) and
    # renamed the checkpoint into place (after the fsync): its mtime, and
    # its directory's ctime
    set man [lindex [exec find [file join $::vcroot shared checkpoint] -name manifest.xml] 0]
    if {$man ne ""} {
        dict set a manifest [exec stat -c %.9Y $man]
        dict set a commit [exec stat -c %.9Z [file dirname $man]]
    }
    qok qdel $id
    wait_for_condition {[jstat $id job_state] in {C ""}} 60000 100
    clear_shared_checkpoints
    if {![dict get $a intact]} { error "job $id did not run on intact across the move (output on node2)" }
    dict set a qmigrate [expr {$t1 - $t0}]
    dict set a called $t0
    dict set a returned $t1
    return $a
}

# --- raw: the same job under cr_run, criu dump on node1, restore on node2 ---
# cr_run's namespace init: once the vcluster wrapper has become cr_run
# (before that, its children are the wrapper's own subshells)
proc ns_init {pid} {
    if {[string trim [file_contents /proc/$pid/comm]] ne "cr_run"} { return "" }
    if {[catch {exec pgrep -P $pid} kids] || [llength $kids] != 1} { return "" }
    return $kids
}

proc log_tail {path} {
    set l [split [string trim "[file_contents $path]\n[file_contents [file join $::work criu.err]]"] \n]
    return [join [lrange $l end-8 end] \n]
}

proc gone {pid} {
    return [expr {![file exists /proc/$pid] || [regexp {State:\s+Z} [file_contents /proc/$pid/status]]}]
}

proc run_raw {mib} {
    global u ticker interval runfor settle shared vcluster vcroot raw_env
    set name raw.$mib
    set out_host [file join $vcroot shared $name.out]
    set img_host [file join $vcroot shared $name]
    file delete -force $out_host $img_host $img_host.pid
    file mkdir $img_host
    file attributes $img_host -permissions 0700
    # The redirection is made on node1, so CRIU finds the file at its
    # shared path on node2 too.  The job works in /, which every node has.
    set pid [exec $vcluster on node1 sh -c \
        "cd / && exec [ckmig_bin cr_run] --user $u $ticker $mib $interval $runfor >$shared/$name.out 2>&1 </dev/null" &]
    wait_for_condition {[set init [ns_init $pid]] ne "" || [gone $pid]} 10000 20
    if {[gone $pid]} { error "raw: cr_run ended at once: [file_contents $out_host]" }
    wait_for_condition {[ticks_in [file_contents $out_host]] >= $settle || [gone $pid]} 300000 50
    if {[gone $pid] || $init eq ""} { error "raw: the job ended: [file_contents $out_host]" }
    set t0 [now]
    # (CRIU's stderr goes to a file: it always says something about rlimits)
    if {[catch {exec $vcluster on node1 {*}$raw_env $::env(CKMIG_CRIU) dump \
                    -t $init -D $shared/$name -o dump.log 2> [file join $::work criu.err]}]} {
        error "raw criu dump failed: [log_tail [file join $img_host dump.log]]"
    }
    set t1 [now]
    # -S as cr_restart does: the job's init dies with its parent (cr_run's
    # PDEATHSIG), so it must become our child, not CRIU's, or it is killed
    # as CRIU exits.
    if {[catch {exec $vcluster on node2 $::env(CKMIG_CRIU) restore -d -S -D $shared/$name \
                    -o restore.log --pidfile $shared/$name.pid 2> [file join $::work criu.err]}]} {
        error "raw criu restore failed: [log_tail [file join $img_host restore.log]]"
    }
    set t2 [now]
    stop_bg $pid KILL       ;# cr_run saw its init killed by the dump; reap it
    set rpid [string trim [file_contents $img_host.pid]]
    set n0 [ticks_in [file_contents $out_host]]
    wait_for_condition {[ticks_in [file_contents $out_host]] >= $n0 + $settle} 60000 50
    set a [analyse [file_contents $out_host]]
    catch {exec kill -KILL $rpid}
    file delete -force $img_host $img_host.pid $out_host
    if {![dict get $a intact]} { error "raw: the job did not run on intact across the move" }
    dict set a dump [expr {$t1 - $t0}]
    dict set a restore [expr {$t2 - $t1}]
    return $a
}

# --- where the downtime went ------------------------------------------------
proc phases_ours {a} {
    set evs [read_events]
    set tb [dict get $a before]
    set ta [dict get $a after]
    set from [dict get $a called]
    lassign [ev $evs checkpoint_script node1 $from $ta] cs0 cs1
    lassign [ev $evs cr_checkpoint node1 $from $ta] ck0 ck1
    lassign [ev $evs criu node1 $from $ta dump] du0 du1
    lassign [ev $evs restart_script node2 $tb $ta] rs0 rs1
    lassign [ev $evs cr_restart node2 $tb $ta] cr0 cr1
    lassign [ev $evs criu node2 $tb $ta restore] re0 re1
    set man [expr {[dict exists $a manifest] ? [dict get $a manifest] : ""}]
    set com [expr {[dict exists $a commit] ? [dict get $a commit] : ""}]
    # inside the gap
    set p [list \
        "freeze+criu dump"     [d $tb $du1] \
        "cr_checkpoint after the dump, of which:" [d $du1 $ck1] \
        "  hash tail, open files, manifest" [d $du1 $man] \
        "  fsync of images and manifest" [d $man $com] \
        "  rename into place, fsync dir, kill, exit" [d $com $ck1] \
        "checkpoint_script after cr_checkpoint" [d $ck1 $cs1] \
        "MOM1 reply+obit, server, MOM2 start (round trips)" [d $cs1 $rs0] \
        "restart_script before cr_restart" [d $rs0 $cr0] \
        "cr_restart before criu (verify MAC + hashes)" [d $cr0 $re0] \
        "criu restore" [d $re0 $re1] \
        "criu exit -> first tick" [d $re1 $ta]]
    # before the freeze: the job still ran; only qmigrate's wait sees it
    set q [list \
        "qmigrate called -> checkpoint_script" [d $from $cs0] \
        "checkpoint_script start -> criu dump start" [d $cs0 $du0] \
        "first tick -> qmigrate -w returned (<0: job R before it ran)" [d $ta [dict get $a returned]]]
    return [list $p $q]
}

proc phases_raw {a} {
    set evs [read_events]
    set tb [dict get $a before]
    set ta [dict get $a after]
    lassign [ev $evs criu node1 [expr {$tb - 30}] $tb dump last] du0 du1
    lassign [ev $evs criu node2 $tb $ta restore] re0 re1
    return [list \
        "freeze+criu dump" [d $tb $du1] \
        "dump exit -> restore start (bench script)" [d $du1 $re0] \
        "criu restore" [d $re0 $re1] \
        "criu exit -> first tick" [d $re1 $ta]]
}

# --- the run -----------------------------------------------------------------
proc best {a b} { return [expr {$b eq "" || [dict get $a gap] < [dict get $b gap] ? $a : $b}] }

if {[catch {
    say "starting a 2-node virtual cluster (VC_NAME=$env(VC_NAME))"
    cluster_up 2
    set vcroot [dict get [vc_env] VC_ROOT]
    foreach n {node1 node2} {
        set mntns($n) [exec stat -L -c %i [file join $vcroot ns $n.mnt]]
    }
    qok qmgr -c "set server checkpoint_dir = $shared/checkpoint"
    qok qmgr -c "set server scheduling = False"
    set u [cluster_user]
    set ticker [public_bin mig_ticker]
    # Raw CRIU needs what libckpt gives it where root lacks CAP_SYS_RESOURCE
    # (checkpoint/preload/ckpt_criu_ids.c), or it cannot dump a user's job.
    set raw_env {}
    set capeff [lindex [regexp -inline -line {^CapEff:\s+(\S+)} [file_contents /proc/self/status]] 1]
    if {!((("0x$capeff") >> 24) & 1)} {
        set raw_env [list env CKMIG_CRIU_RUID=[exec id -u $u]:[exec id -g $u] \
                         LD_PRELOAD=[file join $env(CKMIG_BUILD) lib ckmig ckpt_criu_ids.so]]
    }

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
    set rc 0
} err]} {
    say "FAILED: $err"
    puts stderr [cluster_logs]
    set rc 1
}
::ckmigtest::run_cleanups
exit $rc
