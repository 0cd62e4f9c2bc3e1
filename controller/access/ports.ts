/** Where the phpMyAdmin image listens (harness/images/phpmyadmin): the access feature renders it, routing sends its domain there. */
export const PHPMYADMIN_PORT = 80;
