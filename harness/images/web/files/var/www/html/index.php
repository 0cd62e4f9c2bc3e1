<?php
declare(strict_types=1);
// The page tests read: which site and version answered, from which task, and whether its
// database is reachable with the secret it was given.
require '/var/www/lib/db-status.php';

header('Content-Type: text/html; charset=utf-8');
header('Cache-Control: no-store');

$h = fn (string $s): string => htmlspecialchars($s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
$site = getenv('SIMULIUM_SITE') ?: 'unnamed';
$version = getenv('SITE_VERSION');
[$state, $detail] = simulium_db_status();
$db = match ($state) {
    'ok' => 'ok (' . $detail . ')',
    'error' => 'error ' . $detail,
    default => $detail,
};
?>
<!doctype html>
<html>
<head><title><?= $h($site) ?></title></head>
<body>
<h1><?= $h($site) ?></h1>
<pre>
site: <?= $h($site) . "\n" ?>
<?php if ($version !== false && $version !== ''): ?>
version: <?= $h($version) . "\n" ?>
<?php endif ?>
host: <?= $h((string) gethostname()) . "\n" ?>
db: <?= $h($db) . "\n" ?>
</pre>
</body>
</html>
