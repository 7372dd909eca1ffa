# ckptlib.tcl: helpers for the checkpoint tests (sourced after testlib.tcl).
#
#   ck_setup                    tmp dir, test user, private MAC key; returns the dir
#   ck_start NAME CMD...        start CMD (usually cr_run ...) in its own session,
#                               stdout+stderr to $dir/NAME.out; returns its pid
#   ck_status NAME ?ms?         wait until NAME ends: "exit N" or "signal N"
#   ck_out NAME                 what NAME wrote so far
#   ck_wait_out NAME RE ?ms?    wait until NAME's output matches RE
#   ck_run_job NAME CMD...      cr_run --user $ck_user CMD..., as ck_start
#   ck_restart NAME CKPT ARGS   cr_restart ARGS CKPT in the background, as ck_start
#   ck_exec CMD...              run CMD; returns {code output} (code = exit status)
#   ck_ticks TEXT               the tick numbers in TEXT, in order
#   ck_ticker_job NAME ?MIB? ?PREFIX...?  a mig_ticker job (MIB, default 8, under a
#                               checksum) that ticks every 20 ms until ck_finish NAME
#   ck_finish NAME              let NAME's ticker (or the job restored from it) end
#                               once it has ticked past what it printed so far

testConstraint ckpt [expr {[testConstraint root] && [testConstraint criu]}]

proc ck_setup {} {
    set ::ck_dir [tmpdir ckpt]
    file attributes $::ck_dir -permissions 0755
    set ::ck_user ckmigjob
    test_user $::ck_user
    set ::env(CKMIG_CKPT_KEY) [file join $::ck_dir key]
    return $::ck_dir
}

proc ck_start {name args} {
    foreach f [list $name.status $name.pid $name.out] { file delete [file join $::ck_dir $f] }
    set st [file join $::ck_dir $name.status]
    set pf [file join $::ck_dir $name.pid]
    set out [file join $::ck_dir $name.out]
    set h [exec [ckmig_bin ckpt_spawn] $st $pf {*}$args < /dev/null >& $out &]
    at_cleanup [list catch [list exec kill -KILL $h]]
    wait_for_condition {[file exists $pf]} 5000
    set pid [string trim [file_contents $pf]]
    at_cleanup [list catch [list exec kill -KILL $pid]]
    return $pid
}

proc ck_run_job {name args} {
    return [ck_start $name [ckmig_bin cr_run] --user $::ck_user {*}$args]
}

proc ck_restart {name ckpt args} {
    return [ck_start $name [ckmig_bin cr_restart] {*}$args $ckpt]
}

proc ck_status {name {ms 30000}} {
    set f [file join $::ck_dir $name.status]
    wait_for_condition {[file exists $f]} $ms
    catch {exec true}   ;# let Tcl reap the finished helper
    return [string trim [file_contents $f]]
}

proc ck_out {name} {
    return [file_contents [file join $::ck_dir $name.out]]
}

proc ck_wait_out {name re {ms 20000}} {
    wait_for_condition {[regexp -- $re [ck_out $name]]} $ms
    return 1
}

# Runs a command to completion; returns {exit-code output}.
proc ck_exec {args} {
    set code 0
    if {[catch {exec {*}$args 2>@1} out opts]} {
        regsub {\n?child process exited abnormally$} $out {} out
        set ec [dict get $opts -errorcode]
        if {[lindex $ec 0] eq "CHILDSTATUS"} {
            set code [lindex $ec 2]
        } else {
            set code -1
        }
    }
    return [list $code $out]
}

# The job ends at the first tick that finds $dir/NAME.end, at the latest
# after 120 s: a fixed number of ticks ran out while a loaded machine was
# still in the middle of a test's checkpoints (the job ended during a
# dump: live-3.1 failed so).  PREFIX: a command the ticker runs under.
proc ck_ticker_job {name {mib 8} args} {
    return [ck_run_job $name {*}$args [ckmig_bin mig_ticker] -e [file join $::ck_dir $name.end] \
                $mib 20 120]
}

proc ck_finish {name} {
    set n [regexp -all -line {^tick \d+ } [ck_out $name]]
    ck_wait_out $name "tick [expr {$n + 1}] "
    close [open [file join $::ck_dir $name.end] w]
}

proc ck_ticks {text} {
    return [regexp -all -inline -line {^tick (\d+)} $text]
}

# True when the tick numbers run 1, 2, 3, ... with no gap and no repeat.
proc ck_consecutive {text {field tick}} {
    set n 0
    foreach {- t} [regexp -all -inline -line "^$field (\\d+)" $text] {
        if {$t != [incr n]} { return "gap or repeat at $t (expected $n)" }
    }
    return ok
}

# Size the manifest records for an open file (for putting a file back the
# way it was at the checkpoint).
proc ck_manifest_size {ckpt path} {
    set xml [file_contents [file join $ckpt manifest.xml]]
    if {[regexp "<file size=\"(\\d+)\"\[^>\]*>[string map {. \\.} $path]</file>" $xml -> size]} {
        return $size
    }
    error "no $path in $ckpt/manifest.xml"
}

# pid and all its descendants
proc ck_tree {pid} {
    set all [list $pid]
    if {![catch {exec pgrep -P $pid} kids]} {
        foreach k $kids { lappend all {*}[ck_tree $k] }
    }
    return $all
}
