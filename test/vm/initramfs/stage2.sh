# SPDX-License-Identifier: Apache-2.0
#
# Guest stage 2: PID 1 on the real root (the host root over 9p, normally overlaid). Runs
# /run/vm/ctl/cmd.sh with the host's /bin/sh in the caller's cwd (stdin from /dev/null), writes its
# output and exit status into the control share, then powers the VM off.
BB=/run/vm/busybox
CTL=/run/vm/ctl
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 RAMPART_IN_VM=1
$BB hostname rampart-vm 2>/dev/null
$BB ip link set lo up 2>/dev/null
umask 022
echo "vm-stage2: uptime $($BB cut -d' ' -f1 /proc/uptime)s, running the command" > /dev/ttyS0
$BB cut -d' ' -f1 /proc/uptime > $CTL/boot-uptime
CWD=/
[ -s $CTL/cwd ] && CWD=$($BB cat $CTL/cwd)
{
  cd "$CWD" 2>/dev/null || cd /
  /bin/sh $CTL/cmd.sh < /dev/null
  echo $? > $CTL/rc.tmp
} > $CTL/output.log 2>&1
$BB cut -d' ' -f1 /proc/uptime > $CTL/end-uptime
# the exit status appears atomically: the host reads "no rc file" as a VM failure (125)
$BB mv $CTL/rc.tmp $CTL/rc
$BB sync
$BB poweroff -f
echo o > /proc/sysrq-trigger
$BB sleep 10
