#!/bin/sh
set -e
# The package's postinst initialised a datadir; an image must ship it empty so that the first
# start initialises it with the configured users (and a fresh named volume is not pre-filled).
rm -rf /var/lib/mysql/*
mkdir -p /var/lib/mysql /run/mysqld
chown mysql:mysql /var/lib/mysql /run/mysqld
