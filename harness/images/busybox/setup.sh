#!/bin/busybox sh
# busybox-static ships only /bin/busybox; link every applet and create the usual top dirs.
/bin/busybox mkdir -p /tmp /root /proc /sys /dev /run /var/www /usr/bin /sbin /usr/sbin
/bin/busybox chmod 1777 /tmp
for applet in $(/bin/busybox --list); do
  [ -e "/bin/$applet" ] || /bin/busybox ln -s busybox "/bin/$applet"
done
