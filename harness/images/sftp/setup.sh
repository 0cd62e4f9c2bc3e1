#!/bin/sh
set -e
# Host keys made at build time would be shared by every site's server: each container makes
# its own at start instead.
rm -f /etc/ssh/ssh_host_*
# The login: uid/gid of the web server (www-data, 33), so uploads are the web's own files.
useradd --non-unique --uid 33 --gid 33 --no-create-home --home-dir /files --shell /usr/sbin/nologin site
# '*' (not '!'): no password can match, yet the account is not locked, which sshd without PAM
# would otherwise refuse even for a key.
usermod -p '*' site
mkdir -p /srv/sftp/files /etc/ssh/authorized_keys /run/sshd
chmod 755 /srv/sftp /etc/ssh/authorized_keys
