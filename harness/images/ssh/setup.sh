#!/bin/sh
set -e
# Host keys made at build time would be shared by every site's server: each container makes
# its own at start instead.
rm -f /etc/ssh/ssh_host_*
# The login: uid/gid of the web server (www-data, 33), so what developers write is the web's
# own, with a real shell and a home of its own.
useradd --non-unique --uid 33 --gid 33 --create-home --home-dir /home/site --shell /bin/bash site
# '*' (not '!'): no password can match, yet the account is not locked, which sshd without PAM
# would otherwise refuse even for a key.
usermod -p '*' site
mkdir -p /etc/ssh/authorized_keys /run/sshd /etc/simulium
chmod 755 /etc/ssh/authorized_keys /etc/simulium
# The site's environment (written at start) for every shell: login shells read profile.d,
# commands run as `ssh host CMD` read bash.bashrc (Debian's bash does for sshd), whose own
# first line returns early for non-interactive shells, so this goes before it.
printf '%s\n' '[ -r /etc/simulium/env.sh ] && . /etc/simulium/env.sh' > /etc/profile.d/simulium-env.sh
{ printf '%s\n' '[ -r /etc/simulium/env.sh ] && . /etc/simulium/env.sh'; cat /etc/bash.bashrc; } > /etc/bash.bashrc.new
mv /etc/bash.bashrc.new /etc/bash.bashrc
