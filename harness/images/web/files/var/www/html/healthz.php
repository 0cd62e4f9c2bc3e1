<?php
declare(strict_types=1);
// Liveness: 200 "ok". With ?db=1 also readiness: 503 unless the database answers.
require '/var/www/lib/db-status.php';

header('Content-Type: text/plain; charset=utf-8');
header('Cache-Control: no-store');
if (isset($_GET['db'])) {
    [$state, $detail] = simulium_db_status();
    if ($state === 'error') {
        http_response_code(503);
        echo "db: error $detail\n";
        exit;
    }
}
echo "ok\n";
