<?php
declare(strict_types=1);
// Drupal's login page, as far as a health probe sees it: 200 with a form while the site can
// reach its database, 503 when it cannot (a real Drupal answers an error page then).
require '/var/www/lib/db-status.php';

header('Cache-Control: no-store');
[$state, $detail] = simulium_db_status();
if ($state === 'error') {
    http_response_code(503);
    header('Content-Type: text/plain; charset=utf-8');
    echo "The website encountered an unexpected error: database unavailable\n";
    exit;
}
header('Content-Type: text/html; charset=utf-8');
$site = htmlspecialchars(getenv('SIMULIUM_SITE') ?: 'unnamed', ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
?>
<!doctype html>
<html>
<head><title>Log in | <?= $site ?></title></head>
<body>
<h1>Log in</h1>
<form method="post" action="/user/login">
  <label>Username <input name="name"></label>
  <label>Password <input name="pass" type="password"></label>
  <button type="submit">Log in</button>
</form>
</body>
</html>
