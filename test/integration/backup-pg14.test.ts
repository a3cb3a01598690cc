import { backupMatrixSuite } from './backup-matrix.js';

// PG 14 starts and stops backups with pg_start_backup/pg_stop_backup: the pre-15 code path.
backupMatrixSuite({ version: 14, repo: 'posix', compress: 'zst', encrypted: false });
