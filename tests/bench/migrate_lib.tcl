# migrate_lib.tcl: what migrate.tcl and migrate_modes.tcl share (sourced
# after testlib.tcl and cluster.tcl, with $work set): the job's record,
# process events, one move of ours (qmigrate on the virtual cluster) and
# one of raw CRIU's, and where the downtime went.

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

# The 2-node virtual cluster both benches run on; sets vcroot, mntns(NODE),
# u (the jobs' owner), ticker, raw_env.
proc bench_cluster_up {} {
    global vcroot mntns shared u ticker raw_env env
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
}

# Runs BODY (at global level), prints the cluster's logs if it fails,
# tears everything down and exits 0 or 1.
proc bench_main {body} {
    set rc 0
    if {[catch {uplevel #0 $body} err]} {
        say "FAILED: $err"
        puts stderr [cluster_logs]
        set rc 1
    }
    ::ckmigtest::run_cleanups
    exit $rc
}

# mig_ticker's command line: MIB of memory, RATE MiB/s of it dirtied (0:
# one word per tick)
proc ticker_cmd {mib rate} {
    global ticker interval runfor
    return [concat $ticker [expr {$rate > 0 ? "-d $rate" : ""}] $mib $interval $runfor]
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
    set first ""
    foreach {- n t} [regexp -all -inline -line {^tick (\d+) (\d+\.\d+)$} $text] {
        if {$n != $prev_n + 1} { set seq_ok 0 }
        if {$first eq ""} { set first $t }
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
    return [dict create gap $gap before $tb after $ta ticks $prev_n first $first \
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

# Stop-and-copy moves start in the same state: as many bytes as the dump
# writes are written into the shared directory and removed just before the
# freeze.  In this VM the page cache's first writes into memory the guest
# handed back to the host cost 5-10 s/GiB, into memory freed a moment
# before ~0.8 s/GiB (NOTES section 5, issue 14): without this, whichever
# dump followed the removal of the other's images won by seconds.
proc prime {mib} {
    set p [file join $::vcroot shared prime.[pid]]
    exec dd if=/dev/zero of=$p bs=1M count=[expr {$mib + 1}] status=none
    file delete $p
}

# --- ours: qmigrate on the whole cluster -----------------------------------
proc clear_shared_checkpoints {} {
    foreach p [glob -nocomplain -directory [file join [dict get [vc_env] VC_ROOT] shared checkpoint] *] {
        file delete -force $p
    }
}

# OPTS (a dict, all optional): rate (MiB/s the job dirties), live (1:
# qmigrate --live), noshared (1: the job's checkpoint directory is each
# node's own, the images go MOM to MOM), lazy (1: CKMIG_LAZY=yes in node2's
# pbs_environment, so restart_script restores with cr_restart --lazy).
proc run_ours {mib {opts {}}} {
    global u settle vcroot
    set o [dict merge {rate 0 live 0 noshared 0 lazy 0 postcopy 0} $opts]
    set ck [expr {[dict get $o noshared] ? "enabled,dir=/var/spool/ckmig/checkpoint" : "enabled"}]
    set id [submit $u "#!/bin/bash\n#PBS -c $ck\nexec [ticker_cmd $mib [dict get $o rate]]\n" \
                -j oe -o /dev/null]
    qok qrun -H node1 $id
    wait_job $id job_state R 60000
    wait_for_condition {[ticks_in [spool_out node1 $id]] >= $settle} 300000 50
    set penv [file join $vcroot nodes node2 home pbs_environment]
    set saved [file_contents $penv]
    if {[dict get $o lazy]} { ::cl::write $penv "${saved}CKMIG_LAZY=yes\n" 0644 }
    if {![dict get $o live] && ![dict get $o lazy] && ![dict get $o postcopy]} { prime $mib }
    set t0 [now]
    set flags [concat [expr {[dict get $o live] ? "--live" : ""}] \
                   [expr {[dict get $o postcopy] ? "--postcopy" : ""}]]
    lassign [q -user $u qmigrate -w {*}$flags -H node2 $id] rc out err
    set t1 [now]
    ::cl::write $penv $saved 0644
    if {$rc != 0} { error "qmigrate -w -H node2 $id exited $rc: $err$out" }
    if {![string match "*running on node2*" $out]} { error "qmigrate said: $out" }
    set n0 [ticks_in [spool_out node2 $id]]
    wait_for_condition {[ticks_in [spool_out node2 $id]] >= $n0 + $settle} 60000 50
    set a [analyse [spool_out node2 $id]]
    if {[dict get $o postcopy]} {
        # the last page: when node1's cr_checkpoint --postcopy ended (its
        # pages all sent); the job must not be deleted before
        wait_for_condition {[catch {vc_on node1 pgrep -x cr_checkpoint}]} 300000 50
        dict set a lastpage [now]
    }
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
    # Its output on node2 must reach back before the move: output that
    # begins after it is a run started over from the script, which the
    # checks above cannot see (seen once per 14 moves at 200 MiB/s:
    # restart_script ended after 0.16 s without running cr_restart, and
    # the job's output there showed no stop at all).
    if {[dict get $a first] eq "" || [dict get $a first] > $t0} {
        error "job $id started over on node2: its output there begins after qmigrate was called"
    }
    dict set a qmigrate [expr {$t1 - $t0}]
    dict set a called $t0
    if {[dict get $o lazy]} {
        # the last page: when node2's `criu lazy-pages` ended
        set tb [dict get $a before]
        wait_for_condition {[lindex [ev [read_events] criu node2 $tb [dict get $a after] lazy-pages] 1] ne ""} \
            300000 100
        dict set a lastpage [lindex [ev [read_events] criu node2 $tb [dict get $a after] lazy-pages] 1]
    }
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

# OPTS: rate (MiB/s the job dirties), mode: stopcopy (criu dump, restore),
# precopy (criu pre-dump --track-mem first, as CRIU's own pre-copy starts:
# where it fails, its error is kept and the move goes on as stopcopy),
# lazy (criu dump; on node2 criu lazy-pages -D the images, then criu
# restore --lazy-pages: post-copy from the images on disk).
# A mig_ticker job NAME under cr_run on node1, outside any batch system,
# its output in the shared directory; returns {pid init} once it ticked
# $settle times.  The redirection is made on node1, so CRIU finds the file
# at its shared path on node2 too.  The job works in /, which every node has.
proc start_job_node1 {name mib rate what} {
    global u settle shared vcluster vcroot
    set out_host [file join $vcroot shared $name.out]
    set pid [exec $vcluster on node1 sh -c \
        "cd / && exec [ckmig_bin cr_run] --user $u [ticker_cmd $mib $rate] >$shared/$name.out 2>&1 </dev/null" &]
    wait_for_condition {[set init [ns_init $pid]] ne "" || [gone $pid]} 10000 20
    if {[gone $pid]} { error "$what: cr_run ended at once: [file_contents $out_host]" }
    wait_for_condition {[ticks_in [file_contents $out_host]] >= $settle || [gone $pid]} 300000 50
    if {[gone $pid] || $init eq ""} { error "$what: the job ended: [file_contents $out_host]" }
    return [list $pid $init]
}

proc run_raw {mib {opts {}}} {
    global u settle shared vcluster vcroot raw_env
    set o [dict merge {rate 0 mode stopcopy} $opts]
    set mode [dict get $o mode]
    set name raw.$mib
    set out_host [file join $vcroot shared $name.out]
    set img_host [file join $vcroot shared $name]
    file delete -force $out_host $img_host $img_host.pid $img_host.w
    file mkdir $img_host $img_host.w
    file attributes $img_host -permissions 0700
    lassign [start_job_node1 $name $mib [dict get $o rate] raw] pid init
    set predump ""
    set prev {}
    if {$mode eq "precopy"} {
        file mkdir $img_host/pre1
        if {[catch {exec $vcluster on node1 {*}$raw_env $::env(CKMIG_CRIU) pre-dump --track-mem \
                        -t $init -D $shared/$name/pre1 -o pre.log 2> [file join $::work criu.err]}]} {
            set predump [lindex [regexp -all -inline -line {^.*Error \(.*$} \
                                     [file_contents $img_host/pre1/pre.log]] end]
            if {$predump eq ""} { set predump [lindex [split [string trim [file_contents $img_host/pre1/pre.log]] \n] end] }
            if {[gone $pid]} { error "raw: criu pre-dump took the job with it: $predump" }
        } else {
            set prev [list --track-mem --prev-images-dir pre1]
        }
    }
    if {$mode eq "stopcopy"} { prime $mib }
    set t0 [now]
    # (CRIU's stderr goes to a file: it always says something about rlimits)
    if {[catch {exec $vcluster on node1 {*}$raw_env $::env(CKMIG_CRIU) dump {*}$prev \
                    -t $init -D $shared/$name -o dump.log 2> [file join $::work criu.err]}]} {
        error "raw criu dump failed: [log_tail [file join $img_host dump.log]]"
    }
    set t1 [now]
    set lazy {}
    if {$mode eq "lazy"} {
        exec $vcluster on node2 $::env(CKMIG_CRIU) lazy-pages -D $shared/$name -W $shared/$name.w \
            -o lazy.log 2> [file join $::work lazy.err] &
        # listening, not only bound (a connect in between is refused)
        wait_for_condition {[regexp -line {00010000 .* lazy-pages.socket$} \
                                 [exec $vcluster on node2 cat /proc/net/unix]]} 30000 10
        set lazy [list --lazy-pages -W $shared/$name.w]
    }
    # -S as cr_restart does: the job's init dies with its parent (cr_run's
    # PDEATHSIG), so it must become our child, not CRIU's, or it is killed
    # as CRIU exits.
    if {[catch {exec $vcluster on node2 $::env(CKMIG_CRIU) restore -d -S -D $shared/$name {*}$lazy \
                    -o restore.log --pidfile $shared/$name.pid 2> [file join $::work criu.err]}]} {
        error "raw criu restore failed: [log_tail [file join $img_host restore.log]]"
    }
    set t2 [now]
    stop_bg $pid KILL       ;# cr_run saw its init killed by the dump; reap it
    set rpid [string trim [file_contents $img_host.pid]]
    set n0 [ticks_in [file_contents $out_host]]
    wait_for_condition {[ticks_in [file_contents $out_host]] >= $n0 + $settle} 60000 50
    set a [analyse [file_contents $out_host]]
    if {$mode eq "lazy"} {
        set tb [dict get $a before]
        wait_for_condition {[lindex [ev [read_events] criu node2 $tb [dict get $a after] lazy-pages] 1] ne ""} \
            300000 100
        dict set a lastpage [lindex [ev [read_events] criu node2 $tb [dict get $a after] lazy-pages] 1]
    }
    catch {exec kill -KILL $rpid}
    file delete -force $img_host $img_host.pid $img_host.w $out_host
    if {![dict get $a intact]} { error "raw: the job did not run on intact across the move" }
    dict set a dump [expr {$t1 - $t0}]
    dict set a restore [expr {$t2 - $t1}]
    dict set a predump $predump
    return $a
}

# Post-copy from the source's memory, node1 -> node2 (the images but the
# memory go through the shared directory, the pages straight from node1):
#   mode ours: cr_checkpoint --postcopy on node1, cr_restart --pages-from
#              node1:PORT on node2 (our tools, not through qmigrate);
#   mode raw:  criu dump --lazy-pages --port on node1, criu lazy-pages
#              --page-server --address node1 on node2, criu restore
#              --lazy-pages (with raw_env's preload where root lacks
#              CAP_SYS_RESOURCE: CRIU's tee pipe, NOTES "Lazy restore").
# lastpage: when the source's dump ended (it ends once the target has
# every page).
proc run_postcopy {mib {opts {}}} {
    global u settle shared vcluster vcroot raw_env
    set o [dict merge {rate 0 mode ours} $opts]
    set mode [dict get $o mode]
    set name pc.$mib
    # one port each: the other's may still be in TIME_WAIT on node1
    set port [expr {$mode eq "ours" ? 27311 : 27312}]
    set out_host [file join $vcroot shared $name.out]
    set img_host [file join $vcroot shared $name]
    file delete -force $out_host $img_host $img_host.pid $img_host.w $img_host.key $img_host.r
    file mkdir $img_host.w
    if {$mode eq "raw"} {
        file mkdir $img_host
        file attributes $img_host -permissions 0700
    }
    lassign [start_job_node1 $name $mib [dict get $o rate] postcopy] pid init
    set key CKMIG_CKPT_KEY=$shared/$name.key
    if {$mode eq "ours"} {
        set src [open |[list $vcluster on node1 env $key [ckmig_bin cr_checkpoint] --postcopy=$port \
                            --context=dir -f $shared/$name $init 2>@1] r]
        set line [gets $src]
        if {![regexp {^postcopy port (\d+)} $line - p]} {
            error "cr_checkpoint --postcopy: $line [read $src]"
        }
        set rpid [exec $vcluster on node2 env $key [ckmig_bin cr_restart] --pages-from node1:$p \
                      $shared/$name >& $img_host.r &]
    } else {
        set src [open |[list $vcluster on node1 {*}$raw_env $::env(CKMIG_CRIU) dump -t $init \
                            -D $shared/$name -o dump.log --lazy-pages --port $port 2>@1] r]
        # the page server listens once every image is written
        wait_for_condition {[regexp -line [format {^\s*\d+: [0-9A-F]+:%04X 00000000:0000 0A } $port] \
                                 [exec $vcluster on node1 cat /proc/net/tcp]] || [eof $src]} 60000 5
        exec $vcluster on node2 $::env(CKMIG_CRIU) lazy-pages --page-server --address node1 \
            --port $port -D $shared/$name -W $shared/$name.w -o lazy.log 2> [file join $::work lazy.err] &
        wait_for_condition {[regexp -line {00010000 .* lazy-pages.socket$} \
                                 [exec $vcluster on node2 cat /proc/net/unix]]} 30000 10
        if {[catch {exec $vcluster on node2 $::env(CKMIG_CRIU) restore -d -S -D $shared/$name \
                        --lazy-pages -W $shared/$name.w -o restore.log --pidfile $shared/$name.pid \
                        2> [file join $::work criu.err]}]} {
            error "raw criu restore --lazy-pages failed: [log_tail [file join $img_host.w restore.log]];\
                   lazy-pages: [log_tail [file join $img_host.w lazy.log]]; dump: [log_tail [file join $img_host dump.log]]"
        }
        set rpid [string trim [file_contents $img_host.pid]]
    }
    # the source ends once the target has every page
    fconfigure $src -blocking 1
    set rest [read $src]
    set srcerr [catch {close $src} cerr]
    set tlast [now]
    if {$srcerr} {
        error "postcopy ($mode): the source failed: $rest $cerr [expr {$mode eq "raw" ? [log_tail [file join $img_host dump.log]] : ""}]"
    }
    stop_bg $pid KILL       ;# cr_run saw its init killed; reap it
    set n0 [ticks_in [file_contents $out_host]]
    wait_for_condition {[ticks_in [file_contents $out_host]] >= $n0 + $settle} 60000 50
    set a [analyse [file_contents $out_host]]
    dict set a lastpage $tlast
    catch {exec kill -KILL $rpid}
    file delete -force $img_host $img_host.pid $img_host.w $img_host.key $img_host.r $out_host
    if {![dict get $a intact]} { error "postcopy ($mode): the job did not run on intact across the move" }
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

