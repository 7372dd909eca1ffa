# script_lib.tcl: what checkpoint_script and restart_script share.  Sourced
# by both from their own directory; not a command.
#
# Written for what a real pbs_mom gives the scripts (patches/README, "What
# pbs_mom does around the scripts"): root, cwd mom_priv, the environment of
# $PBS_HOME/pbs_environment only (often no PATH at all), the restart
# script's stdout and stderr on /dev/null, the checkpoint directory
# <dir>/<jobid>.CK and, before a restart, the checkpoint <dir>/<name>
# itself owned by the job's owner, the job's output delivered to the user
# when a hold ends it and an EMPTY .OU/.ER made again at the restart.

# pbs_environment rarely names the system's directories; the tools we run
# (id, logger, setpriv, dd, qalter) live there.
proc path_setup {} {
    set have {}
    if {[info exists ::env(PATH)] && $::env(PATH) ne ""} {
        set have [split $::env(PATH) :]
    }
    foreach d {/usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin} {
        if {$d ni $have} { lappend have $d }
    }
    set ::env(PATH) [join $have :]
}

# Where a script's own messages go besides syslog: pbs_mom throws the
# restart script's stderr away.  $CKMIG_LOG_DIR (set it in pbs_environment)
# or /var/log/ckmig; one line per message, host and job named.
proc log_file_path {} {
    if {[info exists ::env(CKMIG_LOG_DIR)] && $::env(CKMIG_LOG_DIR) ne ""} {
        return [file join $::env(CKMIG_LOG_DIR) $::script_name.log]
    }
    return [file join /var/log/ckmig $::script_name.log]
}

proc log {prio msg} {
    catch {exec logger -t ckmig-$::script_name -p daemon.$prio -- $msg}
    catch {
        set path [log_file_path]
        file mkdir [file dirname $path]
        set f [open $path {WRONLY APPEND CREAT} 0640]
        puts $f "[clock format [clock seconds] -format {%Y-%m-%d %H:%M:%S}] [info hostname] $::script_name\[[pid]\] $prio: $msg"
        close $f
    }
}

# {uid gid} of user, from one `id` (each process the scripts start is
# downtime during a migration).
proc user_ids {user} {
    if {![regexp {^uid=(\d+)\S* gid=(\d+)} [exec id $user] -> uid gid]} {
        error "cannot read the ids of $user"
    }
    return [list $uid $gid]
}

proc fail {code msg} {
    puts stderr "$::script_name: $msg"
    log err $msg
    exit $code
}

# A fault point of the scripts (lib/fault.h's, for tests/cluster/*.test):
# CKMIG_FAULT=N kills this script with SIGKILL at point N, after a line
# "N PID" in $CKMIG_FAULT_LOG.
proc fault_point {n} {
    if {![info exists ::env(CKMIG_FAULT)] || $::env(CKMIG_FAULT) ne $n} return
    if {[info exists ::env(CKMIG_FAULT_LOG)] && $::env(CKMIG_FAULT_LOG) ne ""} {
        catch {
            set f [open $::env(CKMIG_FAULT_LOG) {WRONLY APPEND CREAT} 0644]
            puts $f "$n [pid]"
            close $f
        }
    }
    exec kill -KILL [pid]
}

# a ckmig tool: next to us (build tree or installed), $CKMIG_BIN, $PATH
proc find_tool {name} {
    set here $::script_dir
    set dirs {}
    if {[info exists ::env(CKMIG_BIN)]} { lappend dirs $::env(CKMIG_BIN) }
    lappend dirs [file join $here .. bin] [file join $here .. .. bin]
    foreach d $dirs {
        set p [file join $d $name]
        if {[file executable $p]} { return [file normalize $p] }
    }
    set p [auto_execok $name]
    if {$p ne ""} { return [lindex $p 0] }
    fail 2 "cannot find $name (set CKMIG_BIN)"
}

# DIR/NAME, refused when NAME leads outside DIR. Put together by text only:
# resolving a link here, as root, would follow one the job's owner placed
# on the way; cr_checkpoint and cr_restart walk the path themselves and
# follow a link only where nobody but root can have placed it (ELOOP).
proc inside {dir name} {
    if {$name eq "" || [file pathtype $name] ne "relative" ||
        [string match *..* [file split $name]]} {
        fail 22 "checkpoint name $name is outside the checkpoint directory $dir: refused"
    }
    return [string trimright $dir /]/$name
}

# "Uid:" real uid of a process, or "" when it is gone.
proc proc_uid {pid} {
    if {[catch {open /proc/$pid/status} f]} { return "" }
    set s [read $f]
    close $f
    if {[regexp -line {^Uid:\s+(\d+)} $s -> uid]} { return $uid }
    return ""
}

# NUL-separated /proc file as a list ({} when unreadable)
proc proc_list {pid what} {
    if {[catch {open /proc/$pid/$what rb} f]} { return {} }
    set s [read $f]
    close $f
    return [split [string trimright $s \0] \0]
}

# session id of a process (field 6 of /proc/PID/stat), or ""
proc proc_sid {pid} {
    if {[catch {open /proc/$pid/stat} f]} { return "" }
    set s [read $f]
    close $f
    set rest [string range $s [expr {[string last ) $s] + 2}] end]
    return [lindex $rest 3]
}

proc same_ns {pid} {
    foreach ns {mnt net} {
        if {[catch {file readlink /proc/$pid/ns/$ns} a] ||
            [catch {file readlink /proc/self/ns/$ns} b] || $a ne $b} {
            return 0
        }
    }
    return 1
}

# --- the job's session -----------------------------------------------------
#
# pbs_mom passes the job's session_id attribute.  A fresh job's session is
# $checkpoint_run_exe (cr_run), started by the MOM with PBS_JOBID in its
# environment.  After a restart the job's session is the restart script's
# (the MOM runs it after setsid()), but an unpatched pbs_mom never updates
# session_id (patch 0008 does): it still names the session the job had on
# the node it ran on before, which here is nothing or someone else.

# Is SID the session of JOBID, run for USER (uid)?
proc session_is_job {sid jobid uid} {
    set luid [proc_uid $sid]
    if {$luid eq "" || [proc_sid $sid] ne $sid} { return 0 }
    if {$luid != $uid && $luid != 0} { return 0 }
    if {[restart_script_of $sid] eq $jobid} { return 1 }
    foreach e [proc_list $sid environ] {
        if {[string match PBS_JOBID=* $e]} {
            return [expr {[string range $e 10 end] eq $jobid}]
        }
    }
    # no PBS_JOBID (cr_run started by hand, or by an older MOM): as before
    return 1
}

# The job id a root restart script session leader SID was started for, or
# "".  Only root can start a root process, so its argv is the MOM's: a user
# cannot forge one (a user running restart_script runs it as himself).
proc restart_script_of {pid} {
    if {[proc_uid $pid] ne "0" || [proc_sid $pid] ne $pid} { return "" }
    set argv [proc_list $pid cmdline]
    set me [file join $::script_dir restart_script]
    set i [lsearch -exact $argv $me]
    if {$i < 0} {
        foreach a $argv {
            if {[file tail $a] eq "restart_script"} { set i [lsearch -exact $argv $a]; break }
        }
        # another copy of the script is acceptable only when it is root's
        if {$i < 0 || [catch {file attributes [lindex $argv $i] -owner} o] || $o ne "root"} {
            return ""
        }
    }
    if {[llength $argv] != $i + 7} { return "" }
    return [lindex $argv $i+2]
}

# The session of JOBID's restart script on this node, or "".
proc find_restarted_session {jobid} {
    set found {}
    foreach d [glob -nocomplain -directory /proc -tails {[0-9]*}] {
        if {[restart_script_of $d] eq $jobid && [same_ns $d]} { lappend found $d }
    }
    if {[llength $found] == 1} { return [lindex $found 0] }
    return ""
}

# --- commands as the job's owner -------------------------------------------

proc as_owner {uid gid} {
    return [list [lindex [auto_execok setpriv] 0] --reuid=$uid --regid=$gid --init-groups --]
}

# --- the job's stdout and stderr across a restart --------------------------
#
# pbs_mom delivers .OU/.ER to the user when the hold ends the job and, at
# the restart, makes them again EMPTY, while CRIU's image expects the size
# they had at the checkpoint (ESTALE).  So the checkpoint keeps their
# first SIZE bytes beside it (DIR/NAME.OU, DIR/NAME.ER) and the restart
# puts them back into the new, shorter file before CRIU opens it.  All of
# it as the job's owner (setpriv + dd, no link followed where root could
# be fooled): DIR and the spool files are the owner's.

# The manifest of checkpoint CKPT, read by root in a directory the job's
# owner owns (JOBID.CK; CKPT itself before a restart): never through a
# link, never waiting on a FIFO (a link to one would hang the script
# forever), never more than 64 MiB (a link to /dev/zero would be read until
# memory ran out).  Not verified: cr_restart verifies; "" when unreadable.
proc manifest_text {ckpt} {
    set path [file join $ckpt manifest.xml]
    if {[catch {exec dd if=$path bs=65536 count=[expr {64 << 20}] \
                    iflag=nofollow,nonblock,count_bytes status=none} m]} {
        return ""
    }
    return $m
}

# {path size stream} of the job's spool files the checkpoint NAME has open,
# from its manifest (the same one cr_restart verifies).
proc spool_files {ckpt jobid} {
    set out {}
    set m [manifest_text $ckpt]
    foreach {- attrs path} [regexp -all -inline {<file([^>]*)>([^<]*)</file>} $m] {
        if {![regexp {size="(\d+)"} $attrs -> size] || [string match *kind=* $attrs]} continue
        set path [string map {&amp; & &lt; < &gt; > &quot; \" &apos; '} $path]
        foreach s {OU ER} {
            if {[file tail $path] eq "$jobid.$s" && [file pathtype $path] eq "absolute"} {
                lappend out [list $path $size $s]
            }
        }
    }
    return $out
}

# Can uid write into dir itself (its own directory, or root's 1777)?
proc owner_may_write {dir uid} {
    if {[catch {file lstat $dir st}] || $st(type) ne "directory"} { return 0 }
    return [expr {$st(uid) == $uid}]
}

# After a checkpoint: copy what the job had written.  Errors are logged, not
# fatal: a job with no output to lose restarts all the same.
proc output_save {dir name jobid uid gid} {
    set ckpt [file join $dir $name]
    set who [as_owner $uid $gid]
    foreach f [spool_files $ckpt $jobid] {
        lassign $f path size s
        set copy $ckpt.$s
        set mine [owner_may_write $dir $uid]
        if {$mine} {
            set cmd [list {*}$who dd if=$path of=$copy bs=65536 count=$size \
                         iflag=count_bytes,nofollow oflag=nofollow status=none]
        } else {
            # a directory the owner may not write: read as the owner, write
            # as root a new file, 0600 from the start (never one put there
            # by someone else, never a chmod by path as root)
            catch {file delete -- $copy}
            set cmd [list {*}$who dd if=$path bs=65536 count=$size iflag=count_bytes,nofollow \
                         status=none | sh -c {umask 077; exec dd of="$0" oflag=nofollow conv=excl status=none} $copy]
        }
        if {[catch {exec {*}$cmd 2>@1} err] ||
            ($mine && [catch {exec {*}$who chmod 0600 $copy 2>@1} err])} {
            log warning "job $jobid: cannot keep its $s ($path, $size bytes) in $copy: $err"
        } else {
            log info "job $jobid: kept $size bytes of $path in $copy"
        }
    }
}

# Before a restart: a spool file shorter than the image expects (pbs_mom
# made it again, empty) gets the kept bytes back.  Returns "" or an error.
proc output_restore {dir name jobid uid gid} {
    set ckpt [file join $dir $name]
    set who [as_owner $uid $gid]
    foreach f [spool_files $ckpt $jobid] {
        lassign $f path size s
        set copy $ckpt.$s
        set have -1
        if {![catch {file lstat $path st}]} {
            if {$st(type) ne "file"} { return "$path is not a regular file" }
            set have $st(size)
        }
        if {$have >= $size} continue
        if {$have < 0 && ![file isdirectory [file dirname $path]]} {
            return "the job's output file $path has no directory on this node"
        }
        if {[catch {file lstat $copy cst}] || $cst(size) < $size} {
            return "the job's output $path has $have bytes, the checkpoint expects $size and $copy does not hold them"
        }
        set cmd [list {*}$who dd if=$copy of=$path bs=65536 count=$size \
                     iflag=count_bytes,nofollow oflag=nofollow status=none]
        if {[owner_may_write $dir $uid] == 0} {
            # a copy root wrote: read it as root, write the file as the owner
            set cmd [list dd if=$copy bs=65536 count=$size iflag=count_bytes,nofollow status=none \
                         | {*}$who dd of=$path oflag=nofollow status=none]
        }
        if {[catch {exec {*}$cmd 2>@1} err]} {
            return "cannot put $size bytes of output back into $path: $err"
        }
        log info "job $jobid: put $size bytes back into $path (it had [expr {max($have, 0)}])"
    }
    return ""
}

# Copies whose checkpoint is gone (depth): removed as whoever wrote them.
proc output_prune {dir jobid uid gid} {
    foreach c [glob -nocomplain -directory $dir -tails ckpt.$jobid.*.OU ckpt.$jobid.*.ER] {
        set ckpt [file join $dir [file rootname $c]]
        if {[file isdirectory $ckpt]} continue
        if {[owner_may_write $dir $uid]} {
            catch {exec {*}[as_owner $uid $gid] rm -f -- [file join $dir $c]}
        } else {
            catch {file delete -- [file join $dir $c]}
        }
    }
}

# --- telling the server ----------------------------------------------------
#
# Torque's qalter: $CKMIG_QALTER (pbs_environment), then $PATH, then where
# Torque installs it.  A failed restart must reach the server: without
# checkpoint_restart_status the job would end as if it had run.

proc find_qalter {} {
    if {[info exists ::env(CKMIG_QALTER)] && [file executable $::env(CKMIG_QALTER)]} {
        return $::env(CKMIG_QALTER)
    }
    # the qalter installed with the MOM that runs us (PREFIX/sbin/pbs_mom ->
    # PREFIX/bin/qalter): the right one whatever pbs_environment says
    set pid [pid]
    for {set up 0} {$up < 6 && $pid > 1} {incr up} {
        if {[catch {open /proc/$pid/stat} f]} break
        set st [read $f]
        close $f
        set pid [lindex [string range $st [expr {[string last ) $st] + 2}] end] 1]
        if {[catch {file readlink /proc/$pid/exe} exe]} continue
        # a MOM whose binary was reinstalled while it runs
        regsub { \(deleted\)$} $exe {} exe
        if {[file tail $exe] in {pbs_mom ckmig_mom}} {
            set top [file dirname [file dirname $exe]]
            foreach q [list $top/bin/qalter $top/lib/ckmig/bin/qalter] {
                if {[file executable $q]} { return $q }
            }
            break
        }
    }
    set p [auto_execok qalter]
    if {$p ne ""} { return [lindex $p 0] }
    foreach d {/usr/local/bin /usr/bin /opt/torque/bin /usr/local/torque/bin} {
        if {[file executable $d/qalter]} { return $d/qalter }
    }
    return ""
}

# qalter -W NAME=VALUE ... JOBID, retried: trqauthd or the server may be
# busy.  Returns 1 on success.
proc job_alter {jobid args} {
    set q [find_qalter]
    if {$q eq ""} {
        log err "job $jobid: no qalter found (set CKMIG_QALTER in pbs_environment): cannot set $args"
        return 0
    }
    set cmd [list $q]
    foreach a $args { lappend cmd -W $a }
    lappend cmd $jobid
    for {set try 0} {$try < 5} {incr try} {
        if {![catch {exec {*}$cmd 2>@1} out]} { return 1 }
        after [expr {200 << $try}]
    }
    log err "job $jobid: $q failed: $out"
    return 0
}

proc file_text {path} {
    if {[catch {open $path} f]} { return "" }
    set s [read $f]
    close $f
    return $s
}
