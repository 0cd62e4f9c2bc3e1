#!/bin/sh
set -e
# The package's maintainer scripts ran unattended: they configured no database (dbconfig-common
# has nothing to reach at build time) and may have enabled Debian's /phpmyadmin alias. This
# image serves phpMyAdmin at / from its own vhost and config.inc.php instead.
rm -f /etc/apache2/conf-enabled/phpmyadmin.conf /etc/phpmyadmin/config-db.php
# A blowfish secret made at build time would be shared by every site's image: the entrypoint
# makes one per container.
rm -f /var/lib/phpmyadmin/blowfish_secret.inc.php /var/lib/phpmyadmin/blowfish_secret
mkdir -p /var/lib/phpmyadmin/tmp /run/phpmyadmin
chown www-data:www-data /var/lib/phpmyadmin/tmp
a2enconf -q simulium >/dev/null
rm -f /var/www/html/index.html
ln -sf /dev/stderr /var/log/apache2/error.log
ln -sf /dev/stdout /var/log/apache2/access.log
ln -sf /dev/stdout /var/log/apache2/other_vhosts_access.log
