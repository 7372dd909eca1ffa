# slurm.tcl: a real Slurm cluster (Debian's slurm-wlm) on the virtual
# cluster, one per test file: munged with a private socket (on the host),
# slurmctld on the head, slurmd on every node, all reading one slurm.conf
# of the cluster's own (own ports, the file's own VC_NAME and subnet), so
# /etc/slurm and /etc/munge's running daemon are never used.
#
#   slurm_up N ?-conf LINES? ?-plugstack LINES? ?-partition LINE?
#                         start it all; waits until sinfo shows N idle nodes;
#                         if it fails, what it started is stopped first
#   slurm_down            (also run at the end of the file)
#   slurm_dir             the cluster's directory (conf, logs, state)
#   slurm_user ?NAME?     an ordinary user (created on first use): ckmigs
#   slurm_home USER       USER's directory for this cluster's jobs (sbatch's
#                         -D), ~USER/ckmig-VC_NAME: the home is the machine's,
#                         shared by test runs side by side (lanes)
#   sl ?-user U? CMD ARGS...   a Slurm client command on the head, as U
#                         (default root); returns {exit-status stdout stderr}
#   slok ?-user U? CMD ARGS... same, stdout only, an error unless exit 0
#   sbatch USER SCRIPT ?ARGS...?  submit SCRIPT (text) as USER; the job id
#   jfield ID FIELD       one field of `scontrol show job` ("" if none)
#   jinfo ID              every field of `scontrol show job` (dict)
#   wait_jfield ID FIELD PATTERN ?ms?  wait until it matches (glob)
#   nodes_idle            how many nodes sinfo shows idle
#   ctld_restart ?SIG?    kill slurmctld and start it again (same state)
#   ctld_kill ?SIG?, ctld_start   the same in two steps
#   ctld_job_saved ID     wait until slurmctld's saved state has job ID as it is now
#   ctld_state_copy / ctld_state_restore COPY   slurmctld's saved state, copied
#                         aside and put back (slurmctld stopped): its state
#                         as a SIGKILL seconds after a change leaves it
#   job_steps_on NODE ID  does NODE's slurmd still have steps of job ID
#   slurm_logs            the daemons' logs, for a failing test's report
#   counter_ok TEXT N     ckpt_counter's output checked: {1 1 1} when whole
#   slurm_available       "" or why Slurm cannot run here (tests skip then)

namespace eval ::sl {
    variable dir ""
    variable n 0
    variable munged_pid 0
    variable ctld_pid 0
    variable slurmd_pids {}
    variable seq 0
}

proc slurm_dir {} { return $::sl::dir }

proc slurm_available {} {
    foreach p {slurmctld slurmd munged sinfo sbatch scontrol} {
        if {[auto_execok $p] eq "" && ![file executable /usr/sbin/$p]} {
            return "$p is not installed (make deps installs slurm-wlm and munge)"
        }
    }
    if {![file exists /usr/include/slurm/spank.h]} { return "libslurm-dev is not installed" }
    return ""
}
testConstraint slurm [expr {[slurm_available] eq ""}]

proc slurm_user {{name ckmigs}} {
    test_user $name
    return $name
}

proc slurm_home {user} {
    set d [file join [file normalize ~$user] ckmig-[dict get [vc_env] VC_NAME]]
    if {![file isdirectory $d]} {
        file mkdir $d
        exec chown $user: $d
        at_cleanup [list file delete -force $d]
    }
    return $d
}

proc ::sl::write {path data {mode 0644}} {
    set f [open $path w]
    puts -nonewline $f $data
    close $f
    file attributes $path -permissions $mode
}

proc slurm_up {n args} {
    if {[catch {::sl::up $n {*}$args} err opts]} {
        slurm_down
        return -options $opts $err
    }
}

proc ::sl::alive {pid} {
    expr {$pid && [file exists /proc/$pid] && ![regexp {State:\s+Z} [file_contents /proc/$pid/status]]}
}

proc ::sl::up {n args} {
    set extra ""
    set plug ""
    set part ""
    foreach {k v} $args {
        switch -- $k {
            -conf      { set extra $v }
            -plugstack { set plug $v }
            -partition { set part $v }
            default    { error "slurm_up: unknown option $k" }
        }
    }
    vc_up $n
    at_cleanup slurm_down
    set ::sl::n $n
    set env [vc_env]
    set root [dict get $env VC_ROOT]
    set ::sl::dir [file join $root slurm]
    file mkdir $::sl::dir [file join $::sl::dir munge] [file join $::sl::dir ctld]
    file attributes $::sl::dir -permissions 0755
    # munged: its own key, socket, state, pid and log; runs as munge.
    set m [file join $::sl::dir munge]
    exec chown munge:munge $m
    file attributes $m -permissions 0755
    exec dd if=/dev/urandom of=$m/munge.key bs=1024 count=1 2>/dev/null
    exec chown munge:munge $m/munge.key
    file attributes $m/munge.key -permissions 0400
    set ::sl::munged_pid [exec setpriv --reuid=munge --regid=munge --init-groups -- /usr/sbin/munged -F \
        --key-file=$m/munge.key --socket=$m/munge.sock --pid-file=$m/munged.pid \
        --seed-file=$m/seed --log-file=$m/munged.log >>& $m/munged.out &]
    wait_for_condition {[file exists $m/munge.sock]} 20000 50
    # slurm.conf: own ports and names; every path under the cluster's dir;
    # the nodes' spool is node-local (their /var/spool/ckmig).
    set ctl_port [free_port]
    set d_port [free_port]
    while {$d_port == $ctl_port} { set d_port [free_port] }
    set head [dict get $env VC_HEAD_ADDR]
    set conf "ClusterName=[dict get $env VC_NAME]\nSlurmctldHost=head($head)\n"
    append conf "SlurmctldPort=$ctl_port\nSlurmdPort=$d_port\n"
    append conf "AuthType=auth/munge\nAuthInfo=socket=$m/munge.sock\n"
    append conf "CredType=cred/munge\nSlurmUser=root\nSlurmdUser=root\n"
    append conf "StateSaveLocation=$::sl::dir/ctld\nSlurmctldPidFile=$::sl::dir/slurmctld.pid\n"
    append conf "SlurmctldLogFile=$::sl::dir/slurmctld.log\nSlurmctldDebug=debug\n"
    append conf "SlurmdSpoolDir=/var/spool/ckmig/slurmd\nSlurmdPidFile=/var/spool/ckmig/slurmd.pid\n"
    append conf "SlurmdLogFile=/var/spool/ckmig/slurmd.log\nSlurmdDebug=debug\n"
    append conf "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
    append conf "SelectType=select/linear\nJobAcctGatherType=jobacct_gather/none\n"
    append conf "AccountingStorageType=accounting_storage/none\nMpiDefault=none\n"
    append conf "ReturnToService=2\nSchedulerParameters=sched_interval=2\n"
    append conf "SchedulerType=sched/builtin\nMinJobAge=600\nKillWait=5\n"
    append conf "PlugStackConfig=$::sl::dir/plugstack.conf\n"
    append conf $extra\n
    for {set k 1} {$k <= $n} {incr k} {
        set a [join [lrange [split $head .] 0 2] .].[expr {10 + $k}]
        append conf "NodeName=node$k NodeAddr=$a CPUs=1 RealMemory=500 State=UNKNOWN\n"
    }
    if {$part eq ""} { set part "PartitionName=batch Nodes=ALL Default=YES MaxTime=INFINITE State=UP" }
    append conf $part\n
    ::sl::write [file join $::sl::dir slurm.conf] $conf
    ::sl::write [file join $::sl::dir plugstack.conf] $plug\n
    set ::env(SLURM_CONF) [file join $::sl::dir slurm.conf]
    ::sl::start_ctld -c
    for {set k 1} {$k <= $n} {incr k} { ::sl::start_slurmd node$k }
    if {[catch {wait_for_condition {[nodes_idle] == $n} 60000 100} err]} {
        error "$err\n[slurm_logs]"
    }
}

proc ::sl::start_ctld {args} {
    set ::sl::ctld_pid [exec [file join $::env(CKMIG_TOP) tests cluster vcluster] head \
        env SLURM_CONF=$::env(SLURM_CONF) /usr/sbin/slurmctld -D {*}$args \
        >>& [file join $::sl::dir slurmctld.out] &]
    # a slurmctld that exits (a bad slurm.conf) is not waited for
    if {[catch {wait_for_condition {![::sl::alive $::sl::ctld_pid] ||
                                    [string match *UP* [lindex [sl scontrol ping] 1]]} 60000 100} err] ||
        ![::sl::alive $::sl::ctld_pid]} {
        if {![::sl::alive $::sl::ctld_pid]} { set err "it exited" }
        error "slurmctld did not come up: $err\n[slurm_logs]"
    }
}

proc ::sl::start_slurmd {node} {
    set root [dict get [vc_env] VC_ROOT]
    file mkdir [file join $root nodes $node home slurmd]
    dict set ::sl::slurmd_pids $node [exec [file join $::env(CKMIG_TOP) tests cluster vcluster] on $node \
        env SLURM_CONF=$::env(SLURM_CONF) /usr/sbin/slurmd -D -N $node \
        >>& [file join $::sl::dir slurmd-$node.out] &]
}

# (sinfo -N prints a node once per partition it is in: counted once)
proc nodes_idle {} {
    lassign [sl sinfo -h -N -o "%N %t"] rc out err
    if {$rc != 0} { return 0 }
    set idle {}
    foreach l [split $out \n] {
        if {[lindex $l 1] eq "idle"} { dict set idle [lindex $l 0] 1 }
    }
    return [dict size $idle]
}

proc ctld_restart {{sig KILL}} {
    stop_bg $::sl::ctld_pid $sig
    ::sl::start_ctld
}
# slurmctld writes its job state some seconds after a change (state_save.c,
# up to SAVE_MAX_WAIT 5 s); a SIGKILL before that loses the change (Slurm's
# own durability, not the job's).  ctld_job_saved: a change is made now
# (the job's Comment, set to itself) and this waits until a job state newer
# than it is on disk.
proc ctld_job_saved {id} {
    set f [file join $::sl::dir ctld job_state]
    set t [exec date +%s.%N]
    slok scontrol update JobId=$id Comment=[jfield $id Comment]
    wait_for_condition {[file exists $f] && [exec stat -c %.9Y $f] > $t} 30000 100
}
proc ctld_state_copy {} {
    set to [file join $::sl::dir ctld.copy.[incr ::sl::seq]]
    exec cp -a [file join $::sl::dir ctld] $to
    return $to
}
proc ctld_state_restore {copy} {
    if {[::sl::alive $::sl::ctld_pid]} { error "ctld_state_restore: slurmctld runs" }
    file delete -force [file join $::sl::dir ctld]
    exec cp -a $copy [file join $::sl::dir ctld]
}
# scontrol listpids asks the node's own slurmd (its spool is node-local)
proc job_steps_on {node id} {
    set rc [catch {vc_on $node env SLURM_CONF=$::env(SLURM_CONF) scontrol listpids $id} out]
    return [expr {$rc == 0 && [regexp -line "^\\d+\\s+$id\\s" $out]}]
}
proc ctld_kill {{sig KILL}} { stop_bg $::sl::ctld_pid $sig; set ::sl::ctld_pid 0 }
proc ctld_start {} { ::sl::start_ctld }

proc slurm_down {} {
    if {$::sl::ctld_pid} { stop_bg $::sl::ctld_pid TERM; set ::sl::ctld_pid 0 }
    dict for {node pid} $::sl::slurmd_pids { stop_bg $pid TERM }
    set ::sl::slurmd_pids {}
    vc_down
    if {$::sl::munged_pid} { stop_bg $::sl::munged_pid TERM; set ::sl::munged_pid 0 }
}

# The daemons' and agents' logs: their ends printed, and whole copies kept
# as build/test-logs/FILE.slurm.NAME.log (a failure's start is often early).
proc slurm_logs {} {
    set out ""
    set root [dict get [vc_env] VC_ROOT]
    set files [glob -nocomplain [file join $::sl::dir *.log] [file join $::sl::dir *.out] \
                   [file join $root nodes * home slurmd.log] [file join $root nodes * home ckmig-slurm.log]]
    set stem [file rootname [string map {/ _} [file join {*}[lrange [file split $::argv0] end-1 end]]]]
    foreach f [lsort $files] {
        set name [string map {/ _} [string range $f [string length $root]+1 end]]
        catch {file mkdir [file join $::env(CKMIG_BUILD) test-logs]
               file copy -force $f [file join $::env(CKMIG_BUILD) test-logs $stem.$name]}
        # the scheduler's every-2-s debug line says nothing
        set lines [lsearch -all -inline -not [split [file_contents $f] \n] "*sched: Running job scheduler*"]
        set keep [expr {[string match *ckmig-slurm.log $f] ? 80 : 40}]
        append out "---- $f (last $keep lines)\n"
        append out [join [lrange $lines end-$keep end] \n]\n
    }
    return $out
}

proc sl {args} {
    set pre [list [file join $::env(CKMIG_TOP) tests cluster vcluster] head env SLURM_CONF=$::env(SLURM_CONF)]
    if {[lindex $args 0] eq "-user"} {
        lappend pre runuser -u [lindex $args 1] --
        set args [lrange $args 2 end]
    }
    set n [incr ::sl::seq]
    set outf [file join $::sl::dir c.$n.out]
    set errf [file join $::sl::dir c.$n.err]
    set rc 0
    set cmd [lindex $args 0]
    if {[file pathtype $cmd] ne "absolute"} {
        if {![catch {ckmig_bin $cmd} p]} { set cmd $p }
    }
    if {[catch {exec {*}$pre $cmd {*}[lrange $args 1 end] < /dev/null > $outf 2> $errf} msg opts]} {
        set ec [dict get $opts -errorcode]
        set rc [expr {[lindex $ec 0] eq "CHILDSTATUS" ? [lindex $ec 2] : -1}]
        if {$rc == -1} { ::sl::write $errf $msg }
    }
    set r [list $rc [string trimright [file_contents $outf] \n] [string trimright [file_contents $errf] \n]]
    file delete $outf $errf
    return $r
}

proc slok {args} {
    lassign [sl {*}$args] rc out err
    if {$rc != 0} { error "[join $args] exited $rc: $err$out" }
    return $out
}

proc sbatch {user script args} {
    set f [file join $::sl::dir job.[incr ::sl::seq].sh]
    ::sl::write $f $script 0644
    set out [slok -user $user sbatch --parsable -D [slurm_home $user] {*}$args $f]
    return [lindex [split [string trim $out] {;}] 0]
}

proc jinfo {id} {
    lassign [sl scontrol -o show job $id] rc out err
    if {$rc != 0} { return {} }
    set d {}
    # one line of Key=Value words; a value may hold spaces (Reason,
    # Comment): a word that does not start a Key= belongs to the value before
    set k ""
    foreach w [split [string trim $out] " "] {
        if {[regexp {^([A-Za-z][\w/:]*)=(.*)$} $w -> nk v]} {
            set k $nk
            dict set d $k $v
        } elseif {$k ne ""} {
            dict append d $k " $w"
        }
    }
    return $d
}

proc jfield {id field} {
    set d [jinfo $id]
    return [expr {[dict exists $d $field] ? [string trim [dict get $d $field]] : ""}]
}

proc wait_jfield {id field pattern {ms 60000}} {
    wait_for_condition {[string match $pattern [jfield $id $field]]} $ms 200
    return [jfield $id $field]
}

# The output of tests/workloads/ckpt_counter N ticks long, as a list:
# how many times it started, whether ticks 1..N came each once and in
# order, whether it ended with its buffer's checksum verified.  {1 1 1}:
# one run that never started over, whatever moved it.
proc counter_ok {text n} {
    set ticks {}
    foreach l [split [string trim $text] \n] {
        if {[regexp {^tick (\d+) } $l -> t]} { lappend ticks $t }
    }
    set seq {}
    for {set i 1} {$i <= $n} {incr i} { lappend seq $i }
    list [regexp -all {(?n)^start pid=\d+$} $text] [expr {$ticks eq $seq}] \
         [regexp "(?n)^done ticks=$n verify=ok\$" $text]
}

# plugstack.conf lines loading ckmig's plugin from the build tree, with the
# shared checkpoint directory of the virtual cluster; ARGS are appended.
proc ckmig_plugstack {args} {
    set b $::env(CKMIG_BUILD)
    return "required [file join $b lib slurm spank_ckmig.so] dir=/var/spool/ckmig-shared/checkpoint\
        agent=[file join $b libexec ckmig_slurm_agent] bin=[file join $b bin]\
        log=/var/spool/ckmig/ckmig-slurm.log [join $args]"
}

# A copy of a built program the job's user may run (the build tree may not
# be theirs to read).
proc slurm_public_bin {name} {
    set to [file join $::sl::dir $name]
    file copy -force [ckmig_bin $name] $to
    file attributes $to -permissions 0755
    return $to
}
