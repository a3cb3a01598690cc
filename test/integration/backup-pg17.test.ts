import { backupMatrixSuite } from './backup-matrix.js';

backupMatrixSuite({ version: 17, repo: 'posix', compress: 'lz4', encrypted: true });
