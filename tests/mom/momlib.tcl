# momlib.tcl: a real ckmig_mom on this host, talked to through mom_peer
# (lib/protocol frames with the cluster key's MAC), for the MOM's tests.
#
#   mom_setup ?config-lines?   key, MOM home, a peer in the server's place
#                              (@DIR@ in the lines: the test's directory)
#                              (listening on a free port, logging every
#                              request), and the MOM itself; at_cleanup stops
#                              them.
#   mom_start / mom_stop ?sig? start or stop the MOM (same home, same ports)
#   mom_send TYPE ID ITEM...   one request to the MOM; returns mom_peer's output
#   server_log                 what the MOM sent to the "server" so far
#   wait_server_line PATTERN ?ms?  wait for a line matching the glob; returns it
#   line_attr LINE NAME        value of NAME=... in a logged line
#   job_attrs ID USER ...      the attributes a server's QueueJob carries
#
# The server's half is mom_peer only because these tests look at the MOM
# alone; the cluster tests run the real ckmig_server.

namespace eval ::mom {
    variable home ""
    variable key ""
    variable port 0
    variable sport 0
    variable pid 0
    variable peer 0
    variable dir ""
    variable log ""
}

proc mom_setup {{config ""} {prepare ""}} {
    set mom::dir [tmpdir mom]
    if {$prepare ne ""} { uplevel 1 $prepare }
    set mom::home [file join $mom::dir home]
    file mkdir [file join $mom::home mom_priv]
    set mom::key [file join $mom::dir cluster.key]
    set f [open $mom::key w]
    puts $f [exec head -c 32 /dev/urandom | base64]
    close $f
    file attributes $mom::key -permissions 0600
    set mom::sport [free_port]
    set mom::port [free_port]
    set mom::log [file join $mom::dir server.log]
    close [open $mom::log w]
    write_pbs_environment $mom::home
    set f [open [file join $mom::home mom_priv config] w]
    puts $f "\$pbsserver localhost:$mom::sport"
    puts $f "\$status_update_time 1"
    puts $f "\$kill_delay 1"
    puts $f [string map [list @DIR@ $mom::dir] $config]
    close $f
    set mom::peer [spawn_bg [file join $mom::dir peer.out] [ckmig_bin mom_peer] listen \
                       $mom::sport $mom::key $mom::log]
    mom_start
    # MOM_TEST_KEEP=DIR keeps the test's directory (logs, job files) for a look
    if {[info exists ::env(MOM_TEST_KEEP)]} {
        at_cleanup {exec cp -a $mom::dir $::env(MOM_TEST_KEEP)}
    }
    at_cleanup mom::kill_jobs
    at_cleanup {mom_stop KILL}
}

# Jobs a test left running: end their sessions (ids from the job files).
proc mom::kill_jobs {} {
    foreach f [glob -nocomplain -directory [file join $mom::home mom_priv jobs] *.JB] {
        if {[regexp {name="mom_sid">(\d+)<} [file_contents $f] -> sid] && $sid > 1} {
            catch {exec kill -KILL -- -$sid}
        }
    }
}

proc mom_start {} {
    # tests read mom.out of the MOM now running: a fresh file per start
    # (the kept log, build/test-logs/..., has only the last one)
    close [open [file join $mom::dir mom.out] w]
    set mom::pid [start_mom $mom::home $mom::key -port $mom::port -out [file join $mom::dir mom.out]]
    # Up when it has registered with the "server": a MOM that recovers
    # jobs on a loaded machine can take far longer than on a quiet one
    set n [llength [split [file_contents $mom::log] \n]]
    wait_for_condition {[llength [split [file_contents $mom::log] \n]] > $n &&
        [string match "*IsStatus*" [file_contents $mom::log]]} 120000 100
}

proc mom_stop {{sig TERM}} {
    if {$mom::pid} {
        stop_bg $mom::pid $sig
        set mom::pid 0
    }
}

proc mom_send {type id args} {
    return [exec [ckmig_bin mom_peer] send localhost $mom::port $mom::key $type $id {*}$args]
}

proc server_log {} {
    return [file_contents $mom::log]
}

proc wait_server_line {pattern {ms 20000}} {
    set found ""
    wait_for_condition {[set found [mom::find_line $pattern]] ne ""} $ms
    return $found
}

proc mom::find_line {pattern} {
    foreach l [split [file_contents $mom::log] \n] {
        if {[string match $pattern $l]} { return $l }
    }
    return ""
}

proc line_attr {line name} {
    if {[regexp " [string map {. \\.} $name]=(\[^ \]*)" $line -> v]} { return $v }
    return ""
}

# The attributes a server's QueueJob carries for a job of USER.
proc job_attrs {id user outdir args} {
    set seq [lindex [split $id .] 0]
    set l [list attr:Job_Name=job$seq attr:Job_Owner=$user@head attr:euser=$user \
               attr:egroup=$user attr:exec_host=[info hostname]/0 attr:queue=batch \
               attr:Output_Path=head:$outdir/job$seq.o$seq \
               attr:Error_Path=head:$outdir/job$seq.e$seq \
               attr:Variable_List=PBS_O_HOME=/home/$user,PBS_O_WORKDIR=$outdir,PBS_O_HOST=head]
    # An item in args replaces the default of the same attribute.
    set out {}
    foreach item $l {
        set name [lindex [split $item =] 0]
        if {[lsearch -glob $args $name=*] < 0} { lappend out $item }
    }
    return [list {*}$out {*}$args]
}

proc write_script {path text} {
    set f [open $path w]
    puts -nonewline $f $text
    close $f
    return $path
}
