<?php
/*
 * phpMyAdmin for one site: a single server, the site's database service, named by the
 * environment (PMA_DB_HOST, PMA_DB_PORT). Cookie login: the client signs in with the site's
 * database user and password; root never (AllowRoot), and no other server (AllowArbitraryServer).
 */
$cfg['blowfish_secret'] = trim((string) @file_get_contents('/var/lib/phpmyadmin/blowfish_secret'));
$cfg['TempDir'] = '/var/lib/phpmyadmin/tmp';
$cfg['UploadDir'] = '';
$cfg['SaveDir'] = '';
$cfg['VersionCheck'] = false;
$cfg['SendErrorReports'] = 'never';
$cfg['AllowArbitraryServer'] = false;
$cfg['PmaNoRelation_DisableWarning'] = true;

$i = 1;
$cfg['Servers'][$i]['auth_type'] = 'cookie';
$cfg['Servers'][$i]['host'] = (string) (getenv('PMA_DB_HOST') ?: 'db');
$cfg['Servers'][$i]['port'] = (string) (getenv('PMA_DB_PORT') ?: '3306');
$cfg['Servers'][$i]['compress'] = false;
$cfg['Servers'][$i]['AllowNoPassword'] = false;
$cfg['Servers'][$i]['AllowRoot'] = false;
