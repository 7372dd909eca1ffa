# srvlib.tcl: a ckmig_server of our own for the server's tests, and a real
# ckmig_mom on this host when a test needs jobs to run.
#
#   srv_start ?nodes-lines?   fresh home, key, server on a free port
#   srv_restart ?sig?         stop (default KILL) and start on the same home
#   srv_frame ARGS...         tests/workloads/frame_client on the server's socket
#   srv_tcp ARGS...           frame_client over TCP with the cluster key
#   srv_cmd ?-user U? CMD ... run a q-command: {exit stdout stderr}
#   srv_mom_start ?config?    a ckmig_mom for node [info hostname], extra mom_priv/config lines
#   srv_accounting            today's accounting file contents

namespace eval ::srv {
    variable home ""
    variable key ""
    variable port 0
    variable momport 0
    variable pid 0
    variable mompid 0
    variable n 0
}

proc srv_start {args} {
    set srv::home [tmpdir srv]
    file mkdir [file join $srv::home server_priv]
    set f [open [file join $srv::home server_priv nodes] w]
    puts $f [join $args \n]
    close $f
    set srv::key [file join $srv::home cluster.key]
    set f [open $srv::key w]
    puts $f [exec head -c 32 /dev/urandom | base64]
    close $f
    file attributes $srv::key -permissions 0600
    set srv::port [free_port]
    set srv::momport [free_port]
    set ::env(PBS_SERVER_SOCKET) [file join $srv::home server.sock]
    srv::launch
    return $srv::home
}

proc srv::launch {} {
    set srv::pid [start_server $srv::home $srv::key -port $srv::port -momport $srv::momport]
    wait_for_condition {[srv::up]} 60000
}

proc srv::up {} {
    if {![file exists $::env(PBS_SERVER_SOCKET)]} { return 0 }
    if {[catch {srv_frame req StatusServer} r]} { return 0 }
    return [string match code=0* $r]
}

proc srv_restart {{sig KILL}} {
    stop_bg $srv::pid $sig
    srv::launch
}

proc srv_frame {args} {
    return [exec [ckmig_bin frame_client] unix $::env(PBS_SERVER_SOCKET) {*}$args]
}

proc srv_tcp {args} {
    return [exec [ckmig_bin frame_client] tcp localhost $srv::port $srv::key {*}$args]
}

proc srv_cmd {args} {
    set pre {}
    if {[lindex $args 0] eq "-user"} {
        set pre [list runuser -u [lindex $args 1] --]
        set args [lrange $args 2 end]
    }
    set in [list < /dev/null]
    set i [lsearch -exact $args <<]
    if {$i >= 0} {
        set in [list << [lindex $args $i+1]]
        set args [lreplace $args $i $i+1]
    }
    set errf [file join $srv::home cmd.err]
    set rc 0
    if {[catch {exec {*}$pre [ckmig_bin [lindex $args 0]] {*}[lrange $args 1 end] {*}$in 2> $errf} out opts]} {
        set ec [dict get $opts -errorcode]
        set rc [expr {[lindex $ec 0] eq "CHILDSTATUS" ? [lindex $ec 2] : -1}]
        # exec's own note about the exit status is not the command's output
        regsub {\n?child process exited abnormally$} $out {} out
    }
    return [list $rc [string trim $out] [string trim [file_contents $errf]]]
}

proc srv_mom_start {{config ""}} {
    set mhome [file join $srv::home mom]
    file mkdir [file join $mhome mom_priv]
    write_pbs_environment $mhome
    set f [open [file join $mhome mom_priv config] w]
    puts $f "\$pbsserver localhost:$srv::port"
    puts $f "\$status_update_time 1"
    puts $f "\$kill_delay 1"
    puts $f $config
    close $f
    set srv::mompid [start_mom $mhome $srv::key -port $srv::momport -out [file join $srv::home mom.out]]
    set host [info hostname]
    wait_for_condition {[string match "*state = free*" [lindex [srv_cmd pbsnodes $host] 1]]} 60000
}

proc srv_accounting {} {
    set out ""
    foreach f [glob -nocomplain [file join $srv::home server_priv accounting *]] {
        append out [file_contents $f]
    }
    return $out
}

# job attribute from qstat -f
proc srv_attr {id name} {
    lassign [srv_cmd qstat -f $id] rc out
    if {[regexp "\n    $name = (\[^\n\]*)" $out -> v]} { return $v }
    return ""
}
