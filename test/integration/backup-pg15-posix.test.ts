import { backupMatrixSuite } from './backup-matrix.js';

backupMatrixSuite({ version: 15, repo: 'posix', compress: 'gz', encrypted: false });
