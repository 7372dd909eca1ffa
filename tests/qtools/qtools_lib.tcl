# Helpers for the q-command tests: a ckmig_server of our own on a temp
# SERVER_HOME (no MOMs unless a test adds them), and running a command
# to get its exit status, stdout and stderr.

package require ckmig

# qt_server_start NODELINE...: start ckmig_server on a fresh home whose
# server_priv/nodes holds the lines; PBS_SERVER_SOCKET points at it.
proc qt_server_start {args} {
    set home [tmpdir qtserver]
    file mkdir [file join $home server_priv]
    qt_write [file join $home server_priv nodes] "[join $args \n]\n"
    set key [file join $home cluster.key]
    qt_write $key [string repeat k 32]
    file attributes $key -permissions 0600
    set ::qt_home $home
    set ::env(PBS_SERVER_SOCKET) [file join $home server.sock]
    # a port of our own: other tests' servers may be up
    set port [free_port]
    set ::qt_port $port
    set ::qt_key $key
    set ::qt_server_pid [start_server $home $key -port $port]
    wait_for_condition {[file exists $::env(PBS_SERVER_SOCKET)] &&
                        ![catch {ckmig::server_name}]} 60000
    return $home
}

proc qt_server_name {} { return [ckmig::server_name] }

# qt_mom_start ?config-lines?: a ckmig_mom on this host, reporting to our
# server as node "localhost" (the server's nodes file must name it).
proc qt_mom_start {{config ""}} {
    set home [file join $::qt_home mom]
    file mkdir [file join $home mom_priv]
    qt_write [file join $home mom_priv config] \
        "\$pbsserver localhost:$::qt_port\n\$mom_host localhost\n\$status_update_time 1\n\$kill_delay 1\n$config\n"
    set ::qt_mom_pid [start_mom $home $::qt_key -port [free_port] -out [file join $::qt_home mom.out]]
    wait_for_condition {[qt_node_state localhost] eq "free"} 60000
}

proc qt_node_state {node} {
    if {[catch {dict get [ckmig::stat node $node] state} st]} { return "" }
    return $st
}

proc qt_job_state {id} {
    if {[catch {dict get [ckmig::stat job $id] job_state} st]} { return "" }
    return $st
}

proc qt_write {path data} {
    set f [open $path w]
    puts -nonewline $f $data
    close $f
}

# qcmd ?-user USER? PROGRAM ARGS... ?<< STDIN?: run a built command;
# returns {exit-status stdout stderr} (trailing newlines trimmed).
proc qcmd {args} {
    set pre {}
    if {[lindex $args 0] eq "-user"} {
        set pre [list runuser -u [lindex $args 1] --]
        set args [lrange $args 2 end]
    }
    set in {}
    set i [lsearch -exact $args <<]
    if {$i >= 0} {
        set in [list << [lindex $args $i+1]]
        set args [lreplace $args $i $i+1]
    } else {
        set in [list < /dev/null]
    }
    set prog [ckmig_bin [lindex $args 0]]
    set errf [file join $::qt_home stderr.[incr ::qt_n]]
    set outf [file join $::qt_home stdout.$::qt_n]
    set rc 0
    if {[catch {exec {*}$pre $prog {*}[lrange $args 1 end] {*}$in > $outf 2> $errf} msg opts]} {
        set ec [dict get $opts -errorcode]
        if {[lindex $ec 0] eq "CHILDSTATUS"} {
            set rc [lindex $ec 2]
        } else {
            set rc -1
            file delete $outf
            qt_write $errf "exec failed: $msg"
        }
    }
    set out [string trimright [file_contents $outf] \n]
    set err [string trimright [file_contents $errf] \n]
    file delete $errf $outf
    return [list $rc [string trimright $out \n] $err]
}

# qt_full ID: the job's attributes as a dict
proc qt_full {id} { return [ckmig::stat job $id] }
