<?php
declare(strict_types=1);

/**
 * Connects to the database named by DB_HOST/DB_NAME/DB_USER with the password read from the file
 * in DB_PASSWORD_FILE (a Swarm secret) or DB_PASSWORD. Returns [state, detail]; the password never
 * appears in the detail, even when the driver quotes connection parameters in an error.
 *
 * @return array{0: string, 1: string} state is "ok", "error" or "none" (no DB configured)
 */
function simulium_db_status(): array
{
    $host = getenv('DB_HOST');
    if ($host === false || $host === '') {
        return ['none', 'not configured'];
    }
    $password = '';
    $file = getenv('DB_PASSWORD_FILE');
    if ($file !== false && $file !== '') {
        $read = @file_get_contents($file);
        if ($read === false) {
            return ['error', 'cannot read DB_PASSWORD_FILE ' . $file];
        }
        $password = rtrim($read, "\r\n");
    } elseif (getenv('DB_PASSWORD') !== false) {
        $password = (string) getenv('DB_PASSWORD');
    }
    $redact = fn (string $s): string => $password === '' ? $s : str_replace($password, '***', $s);

    mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
    try {
        $db = mysqli_init();
        $db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 5);
        $db->real_connect(
            $host,
            (string) getenv('DB_USER'),
            $password,
            (string) getenv('DB_NAME'),
            (int) (getenv('DB_PORT') ?: 3306)
        );
        $version = $db->server_info;
        $db->close();
        return ['ok', $version];
    } catch (Throwable $e) {
        return ['error', $redact($e->getMessage())];
    }
}
