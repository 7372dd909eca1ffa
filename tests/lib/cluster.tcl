# cluster.tcl: a whole ckmig cluster on the virtual cluster, for the
# integration tests and the demo: ckmig_server on the head, one ckmig_mom
# per node, the shared checkpoint directory, an ordinary user to submit as.
#
#   cluster_up N ?-np NP? ?-mom LINES? ?-server ARGS?
#                         start it all; waits until every node is free
#   cluster_down          (also run at the end of the file)
#   cluster_dir           the cluster's own directory (server home, key, logs)
#   cluster_user          an ordinary user (created on first use): ckmiga
#   cluster_home ?USER?   this file's own directory in USER's home (default
#                         cluster_user's), where submit runs qsub and tests
#                         put job output: the home itself is shared by every
#                         test file, and tests/run runs several at once
#   q ?-user U? CMD ARGS... ?<< STDIN?
#                         run a q-command (as U, default root); returns
#                         {exit-status stdout stderr}
#   qok ?-user U? CMD ARGS...   same, but stdout only, and an error unless exit 0
#   submit USER SCRIPT ?QSUB-ARGS...?   qsub SCRIPT (text) as USER; returns the job id
#   jstat ID ?ATTR?       the job's attributes (dict) or one of them ("" if none)
#   nstate NODE           the node's state as pbsnodes says it
#   wait_job ID ATTR PATTERN ?ms?   wait until the attribute matches (glob)
#   node_file NODE PATH   contents of PATH on NODE ("" if missing)
#   spool_out NODE ID     the job's stdout spool file on NODE
#   cluster_logs          server and MOM logs, for a failing test's report
#   public_bin NAME       a copy of a built workload the job user may run
#   momkill NODE ?SIG?    stop NODE's MOM; momstart NODE starts it again
#   server_restart ?SIG?  kill the server and start it again on the same home

namespace eval ::cl {
    variable dir ""
    variable port 0
    variable key ""
    variable server_pid 0
    variable mom_pids {}
    variable n 0
    variable momlines ""
    variable server_args {}
    variable seq 0
}

proc cluster_dir {} { return $::cl::dir }

proc ::cl::write {path data {mode 0644}} {
    set f [open $path w]
    puts -nonewline $f $data
    close $f
    file attributes $path -permissions $mode
}

proc cluster_user {} {
    test_user ckmiga
    return ckmiga
}

proc cluster_home {{user ""}} {
    if {$user eq ""} { set user [cluster_user] }
    set d [file join [file normalize ~$user] vc-[dict get [vc_env] VC_NAME]]
    if {![file isdirectory $d]} {
        file delete -force $d
        run_as $user mkdir -m 0755 $d
        at_cleanup [list file delete -force $d]
    }
    return $d
}

proc cluster_up {n args} {
    set np 1
    set ::cl::momlines ""
    set ::cl::server_args {}
    foreach {k v} $args {
        switch -- $k {
            -np     { set np $v }
            -mom    { set ::cl::momlines $v }
            -server { set ::cl::server_args $v }
            default { error "cluster_up: unknown option $k" }
        }
    }
    vc_up $n
    at_cleanup cluster_down
    set ::cl::n $n
    set root [dict get [vc_env] VC_ROOT]
    set ::cl::dir [file join $root cluster]
    file mkdir $::cl::dir [file join $::cl::dir bin]
    file attributes $::cl::dir -permissions 0755
    file attributes [file join $::cl::dir bin] -permissions 0755
    set ::cl::key [file join $::cl::dir cluster.key]
    ::cl::write $::cl::key [exec head -c 32 /dev/urandom | base64] 0600
    set home [file join $::cl::dir server]
    file mkdir [file join $home server_priv]
    set nodes ""
    for {set k 1} {$k <= $n} {incr k} { append nodes "node$k np=$np\n" }
    ::cl::write [file join $home server_priv nodes] $nodes
    set ::env(PBS_SERVER_SOCKET) [file join $home server.sock]
    set ::cl::port [free_port]
    # cr_run is installed setuid root: the MOM execs it as the job's owner
    # (as pbs_mom does), and it needs root only to make the PID namespace.
    file copy -force [ckmig_bin cr_run] [file join $::cl::dir bin cr_run]
    file attributes [file join $::cl::dir bin cr_run] -owner root -permissions 04755
    ::cl::start_server
    for {set k 1} {$k <= $n} {incr k} { ::cl::start_mom node$k }
    wait_for_condition {[::cl::all_free]} 120000 100
}

proc ::cl::start_server {} {
    set home [file join $::cl::dir server]
    set ::cl::server_pid [::start_server $home $::cl::key -on head -port $::cl::port \
        -args $::cl::server_args -out [file join $::cl::dir server.out]]
    wait_for_condition {[file exists $::env(PBS_SERVER_SOCKET)] &&
                        [lindex [q qstat -B] 0] == 0} 60000 50
    # the same parents the MOMs allow ($allowed_checkpoint_dirs)
    q qmgr -c "set server allowed_checkpoint_dirs = \"/var/spool/ckmig-shared,/var/spool/ckmig,/tmp,$::cl::dir\""
}

proc ::cl::start_mom {node} {
    set k [string range $node 4 end]
    set mhome [file join [dict get [vc_env] VC_ROOT] nodes $node home]
    file mkdir [file join $mhome mom_priv]
    set libexec [file join $::env(CKMIG_BUILD) libexec]
    set cfg "\$pbsserver head:$::cl::port\n\$status_update_time 1\n\$kill_delay 1\n"
    append cfg "\$checkpoint_run_exe [file join $::cl::dir bin cr_run]\n"
    append cfg "\$checkpoint_script [file join $libexec checkpoint_script]\n"
    append cfg "\$restart_script [file join $libexec restart_script]\n"
    append cfg "\$remote_checkpoint_dirs /var/spool/ckmig-shared/checkpoint\n"
    # where the tests let jobs name their own checkpoint directories
    append cfg "\$allowed_checkpoint_dirs /var/spool/ckmig-shared /var/spool/ckmig /tmp $::cl::dir\n"
    append cfg "\$checkpoint_timeout 120\n"
    append cfg $::cl::momlines\n
    ::cl::write [file join $mhome mom_priv config] $cfg
    write_pbs_environment $mhome
    dict set ::cl::mom_pids $node [::start_mom /var/spool/ckmig $::cl::key -on $node -name mom-$node \
        -out [file join $::cl::dir mom-$node.out]]
}

proc ::cl::all_free {} {
    for {set k 1} {$k <= $::cl::n} {incr k} {
        if {[nstate node$k] ne "free"} { return 0 }
    }
    return 1
}

proc ::cl::all_up {} {
    for {set k 1} {$k <= $::cl::n} {incr k} {
        set st [nstate node$k]
        if {$st eq "" || [string match *down* $st]} { return 0 }
    }
    return 1
}

proc momkill {node {sig KILL}} {
    if {[dict exists $::cl::mom_pids $node]} {
        # the vcluster wrapper exec'd nsenter, which exec'd the MOM: same pid
        stop_bg [dict get $::cl::mom_pids $node] $sig
        dict unset ::cl::mom_pids $node
    }
}
proc momstart {node} { ::cl::start_mom $node }

proc server_restart {{sig KILL}} {
    stop_bg $::cl::server_pid $sig
    file delete $::env(PBS_SERVER_SOCKET)
    ::cl::start_server
    # nodes are down until their MOMs report to the new server
    wait_for_condition {[::cl::all_up]} 30000 100
}

proc cluster_down {} {
    if {$::cl::server_pid} { stop_bg $::cl::server_pid TERM; set ::cl::server_pid 0 }
    dict for {node pid} $::cl::mom_pids { stop_bg $pid TERM }
    set ::cl::mom_pids {}
    vc_down
}

proc cluster_logs {} {
    set out ""
    foreach f [lsort [glob -nocomplain [file join $::cl::dir *.out]]] {
        append out "---- [file tail $f] (last 40 lines)\n"
        append out [join [lrange [split [file_contents $f] \n] end-40 end] \n]\n
    }
    return $out
}

proc public_bin {name} {
    set to [file join $::cl::dir bin $name]
    file copy -force [ckmig_bin $name] $to
    file attributes $to -permissions 0755
    return $to
}

proc q {args} {
    # q-commands run on the head, as a user would run them there
    set pre [list [file join $::env(CKMIG_TOP) tests cluster vcluster] head]
    if {[lindex $args 0] eq "-user"} {
        lappend pre runuser -u [lindex $args 1] --
        set args [lrange $args 2 end]
    }
    set in [list < /dev/null]
    set i [lsearch -exact $args <<]
    if {$i >= 0} {
        set in [list << [lindex $args $i+1]]
        set args [lreplace $args $i $i+1]
    }
    set n [incr ::cl::seq]
    set base [expr {$::cl::dir ne "" ? $::cl::dir : [tmpdir q]}]
    set outf [file join $base q.$n.out]
    set errf [file join $base q.$n.err]
    set rc 0
    if {[catch {exec {*}$pre [ckmig_bin [lindex $args 0]] {*}[lrange $args 1 end] {*}$in \
                    > $outf 2> $errf} msg opts]} {
        set ec [dict get $opts -errorcode]
        set rc [expr {[lindex $ec 0] eq "CHILDSTATUS" ? [lindex $ec 2] : -1}]
        if {$rc == -1} { ::cl::write $errf $msg }
    }
    set r [list $rc [string trimright [file_contents $outf] \n] [string trimright [file_contents $errf] \n]]
    file delete $outf $errf
    return $r
}

proc qok {args} {
    lassign [q {*}$args] rc out err
    if {$rc != 0} { error "[join $args] exited $rc: $err$out" }
    return $out
}

proc submit {user script args} {
    set f [file join $::cl::dir job.[incr ::cl::seq].sh]
    ::cl::write $f $script 0644
    # from the user's home (this file's directory in it), as a user would:
    # output files land there
    set here [pwd]
    cd [cluster_home $user]
    try {
        return [string trim [qok -user $user qsub {*}$args $f]]
    } finally {
        cd $here
    }
}

# qstat -f of one job, parsed: attribute -> value (continuation lines joined)
proc jstat {id {attr ""}} {
    lassign [q qstat -f $id] rc out err
    if {$rc != 0} { return [expr {$attr eq "" ? {} : ""}] }
    set d {}
    set last ""
    foreach line [split $out \n] {
        if {[regexp {^\s{4}(\S+) = (.*)$} $line -> k v]} {
            dict set d $k $v
            set last $k
        } elseif {$last ne "" && [regexp {^\t(.*)$} $line -> cont]} {
            dict append d $last $cont
        }
    }
    if {$attr eq ""} { return $d }
    return [expr {[dict exists $d $attr] ? [dict get $d $attr] : ""}]
}

proc nstate {node} {
    lassign [q pbsnodes $node] rc out err
    if {$rc != 0} { return "" }
    if {[regexp -line {^\s+state = (.*)$} $out -> st]} { return [string trim $st] }
    return ""
}

proc wait_job {id attr pattern {ms 30000}} {
    wait_for_condition {[string match $pattern [jstat $id $attr]]} $ms 100
    return [jstat $id $attr]
}

proc node_file {node path} {
    set root [dict get [vc_env] VC_ROOT]
    # the node's home and /tmp are plain directories under VC_ROOT
    foreach {prefix sub} {/var/spool/ckmig home /tmp tmp} {
        if {[string first $prefix/ $path] == 0} {
            return [file_contents [file join $root nodes $node $sub [string range $path [string length $prefix/] end]]]
        }
    }
    if {[catch {vc_on $node cat $path} s]} { return "" }
    return $s
}

proc spool_out {node id} { return [node_file $node /var/spool/ckmig/spool/$id.OU] }
