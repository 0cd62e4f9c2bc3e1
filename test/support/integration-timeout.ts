// Integration tests wait on real containers (MariaDB initialising, rolling updates): minutes, not seconds.
jest.setTimeout(600_000);
