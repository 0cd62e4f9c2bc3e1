#!/bin/sh
set -e
a2enconf -q simulium >/dev/null
a2enmod -q rewrite >/dev/null
rm -f /var/www/html/index.html
# Debian's default logs go to files nobody reads in a container.
ln -sf /dev/stderr /var/log/apache2/error.log
ln -sf /dev/stdout /var/log/apache2/access.log
ln -sf /dev/stdout /var/log/apache2/other_vhosts_access.log
